"""The learning loop: training data, fitting, evaluation, retraining from reviews, versions.

``dataset`` holds the rows and the fixed grouped split, ``training`` fits the model,
``evaluation`` measures it, ``feedback`` turns reviews into training rows behind a
gate, and ``registry`` keeps the model versions and which one is current.
"""
