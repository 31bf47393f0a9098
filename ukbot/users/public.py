"""The only functions other apps may call synchronously in `users`: keyword-only, returning frozen dataclasses.

Nothing here yet: the first capability that another app needs from `users` adds its function here.
"""
