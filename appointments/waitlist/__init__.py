"""The waitlist: patients waiting for a doctor or a specialty, and the freed slots offered to
them (a cancellation, a no-show, a reschedule, new working hours), booked in one click.

`models` holds the waiters and the offers, `offers` the one hook of a freed slot and the
match, `services` the desk's writes (add, change, remove, book, pass, expire), `selectors`
the page's reads, `views` and `forms` the waitlist page.
"""
