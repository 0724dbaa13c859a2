"""Who the person is: CCCD rules, scans, and the city-wide patient index."""
