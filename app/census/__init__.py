"""The survey domain: waves, the questionnaire, validation, responses and revisions."""
