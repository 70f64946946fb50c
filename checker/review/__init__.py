"""Counsel's decisions on findings that need review, recorded like evidence.

`journal` is the append-only record in the case folder's `case.sqlite`; `decisions`
applies the decisions in force to audit results (pure), for the case folder's audit JSON,
exhibits and schedule."""
