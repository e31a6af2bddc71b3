"""Messages to patients about their appointments: e-mails with an .ics calendar file and text
messages, when an appointment is booked, moved or cancelled, and a reminder before it.

`models` holds one row per message (the exactly-once rule), `services` writes and sends them,
`compose` and `ics` make their words and calendar files, `views` is the desk's resend.
"""
