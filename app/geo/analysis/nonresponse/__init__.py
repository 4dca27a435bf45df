"""Non-response: how much of the country answered, and what the silent comuni probably hold.

- `coverage`: per unit, the comuni, residents and area that answered;
- `progress`: coverage with the daily series of first submissions (public);
- `geography`, `features`, `presence`: a model of "foreign agri-food workers are present",
  fitted on the respondents of one state of the data and stored per fingerprint;
- `followup`: the silent comuni ranked by that model, with the facts behind each estimate;
- `expectation`: how many comuni among a set of silent ones are expected to have workers.
"""
