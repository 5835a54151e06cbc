"""The scheduling services layer: every write of the scheduling app goes through one of these modules.

* ``plans``: reception plans (RRULE), the legal-minimum check, materialising sessions, auto-publication
* ``registrations``: citizens' registrations, waiting list, effects of postponement/cancellation, no-shows
* ``reminders``: reminder messages before a session
* ``engagements``: leaders' other engagements and conflicts with reception days
"""
