"""`eva bench --events`: how true the events are against a noisy detector, side by side with peers.

worlds.py makes seeded scenes with their true visits, noise.py turns them into what a real
detector returns, peers.py runs our core and the peer trackers on the same streams,
metrics.py scores the events, report.py prints the table. Only numpy is needed here, so the
peer environment (numpy<2 for norfair) can import these modules too.
"""
