"""Benchmark of the Studer integration against the line's physical limit (``script/bench``).

Everything runs on the simulator, whose wire model delays each answer by the gateway latency
plus the request's and the answer's bytes at the line rate, exactly as a serial line behind an
Xcom-232i would. The benchmark therefore compares what the integration's client achieves with
what the line allows at best (``bounds``), for the ways Studer installations are usually polled
(``strategies``), and adds what only an in-process Home Assistant can show: CPU time of a poll,
time from setup to first states (``ha``), and the memory the catalog takes (``memory``).

Not shipped with the integration: this package lives at the top of the repository only.
"""
