"""Package data: the demo dataset (``demo/``) and reference tables shipped with filiere."""
