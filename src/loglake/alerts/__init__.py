"""Alert rules evaluated on event time over the lake's committed rows.

`rules.py` reads and validates rules (a YAML file, or the same JSON through the API),
`fields.py` what they filter and read;
`windows.py` is the event-time engine (sliding windows, `for`, cooldown, resolve);
`rows.py` reads a rule's rows through the analytics filters; `store.py` keeps rules, state
and the alert log under `<root>/alerts/`; `notify.py` delivers webhooks, log lines and
Python hooks; `evaluate.py` runs the rules after each commit and for `loglake alerts test`.
"""
