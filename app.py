"""The review dashboard, for ``streamlit run app.py`` in a checkout: the app itself is
``labeler/dashboard/app.py`` (``labeler dashboard`` runs that one)."""

from labeler.dashboard.app import main

main()
