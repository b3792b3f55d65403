"""The review dashboard: a Streamlit app (``app``) and the escaped HTML it shows (``render``).

``labeler dashboard`` runs ``app.py`` from this package (``streamlit run``); the checkout's
top-level ``app.py`` runs the same app. Only this package imports streamlit.
"""
