"""The only functions other apps may call synchronously in `requests`: keyword-only, returning frozen dataclasses.

Nothing here yet: the first capability that another app needs from `requests` adds its function here.
"""
