# An offer's outcome is final: once booked, passed, expired, taken or withdrawn it never opens
# again or turns into another outcome, whoever writes (the services, the booking trigger of
# 0008, the admin, psql). The services move an offer only out of "open"; this holds it for
# every login, the application's own included.
#
# So the booking trigger of 0008 no longer marks "taken" the offer its own waiter is booking
# (offer_book closes it as "booked" right after, in the same transaction): it closes the open
# offers of that time held by other patients only.

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION appointments_waitlistoffer_closed_stays() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'open' AND NEW.status IS DISTINCT FROM OLD.status THEN
        RAISE EXCEPTION 'offer %: it is %, an outcome that does not change', OLD.id, OLD.status
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'appointments_waitlistoffer_closed_stays';
    END IF;
    RETURN NEW;
END
$$;
CREATE OR REPLACE FUNCTION appointments_waitlist_offer_taken() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE appointments_waitlistoffer
       SET status = 'taken', closed_at = now(), updated_at = now()
     WHERE id IN (
        SELECT o.id FROM appointments_waitlistoffer o
          JOIN appointments_waitlistentry e ON e.id = o.entry_id
         WHERE o.status = 'open'
           AND o.doctor_id = NEW.doctor_id
           AND o.start < NEW."end"
           AND o.start > NEW.start - interval '1 day'
           AND o."end" > NEW.start
           AND e.patient_id <> NEW.patient_id
         FOR UPDATE OF o SKIP LOCKED);
    RETURN NULL;
END
$$;
CREATE TRIGGER appointments_waitlistoffer_closed_stays
    BEFORE UPDATE OF status ON appointments_waitlistoffer
    FOR EACH ROW EXECUTE FUNCTION appointments_waitlistoffer_closed_stays();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS appointments_waitlistoffer_closed_stays ON appointments_waitlistoffer;
DROP FUNCTION IF EXISTS appointments_waitlistoffer_closed_stays();
CREATE OR REPLACE FUNCTION appointments_waitlist_offer_taken() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE appointments_waitlistoffer
       SET status = 'taken', closed_at = now(), updated_at = now()
     WHERE id IN (
        SELECT id FROM appointments_waitlistoffer
         WHERE status = 'open'
           AND doctor_id = NEW.doctor_id
           AND start < NEW."end"
           AND start > NEW.start - interval '1 day'
           AND "end" > NEW.start
         FOR UPDATE SKIP LOCKED);
    RETURN NULL;
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("appointments", "0009_queue")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
