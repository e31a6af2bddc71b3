# Who a queue ticket and a series' occurrences belong to, held for every login (the services,
# the admin, psql), as the other rules of the schedule are:
# - a queue ticket is called by its appointment's doctor: the ticket's doctor is the
#   appointment's (a checked-in appointment is not moved; an undone check-in withdraws the
#   ticket, which keeps the doctor it had);
# - an occurrence of a series is the series' patient's, always, and is booked with the series'
#   doctor (a single occurrence may later move to a colleague, as any appointment may); a
#   series' patient never changes.

from django.db import migrations

FORWARD = r"""
CREATE FUNCTION appointments_queueticket_doctor() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (
        SELECT FROM appointments_appointment a
        WHERE a.id = NEW.appointment_id AND a.doctor_id = NEW.doctor_id
    ) THEN
        RAISE EXCEPTION 'queue ticket %: doctor % is not the doctor of appointment %',
            NEW.number, NEW.doctor_id, NEW.appointment_id
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'appointments_queueticket_appointments_doctor';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER appointments_queueticket_appointments_doctor
    BEFORE INSERT OR UPDATE OF appointment_id, doctor_id ON appointments_queueticket
    FOR EACH ROW EXECUTE FUNCTION appointments_queueticket_doctor();

CREATE FUNCTION appointments_occurrence_of_series() RETURNS trigger
    LANGUAGE plpgsql AS $$
DECLARE
    owner record;
BEGIN
    IF NEW.series_id IS NULL THEN
        RETURN NEW;
    END IF;
    SELECT s.patient_id, s.doctor_id INTO owner
    FROM appointments_appointmentseries s WHERE s.id = NEW.series_id;
    IF NOT FOUND THEN
        RETURN NEW;  -- the foreign key names the missing series
    END IF;
    IF NEW.patient_id <> owner.patient_id THEN
        RAISE EXCEPTION 'appointment %: an occurrence of series % is its patient''s (%), not %',
            NEW.id, NEW.series_id, owner.patient_id, NEW.patient_id
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'appointments_appointment_series_patient';
    END IF;
    IF TG_OP = 'INSERT' AND NEW.doctor_id <> owner.doctor_id THEN
        RAISE EXCEPTION 'appointment %: an occurrence of series % is booked with its doctor (%)',
            NEW.id, NEW.series_id, owner.doctor_id
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'appointments_appointment_series_doctor';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER appointments_appointment_series_owner
    BEFORE INSERT OR UPDATE OF series_id, patient_id ON appointments_appointment
    FOR EACH ROW EXECUTE FUNCTION appointments_occurrence_of_series();

CREATE FUNCTION appointments_series_patient_stays() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.patient_id <> OLD.patient_id THEN
        RAISE EXCEPTION 'series %: its patient does not change', OLD.id
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'appointments_appointmentseries_patient_stays';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER appointments_appointmentseries_patient_stays
    BEFORE UPDATE OF patient_id ON appointments_appointmentseries
    FOR EACH ROW EXECUTE FUNCTION appointments_series_patient_stays();
"""

BACKWARD = r"""
DROP TRIGGER IF EXISTS appointments_appointmentseries_patient_stays
    ON appointments_appointmentseries;
DROP FUNCTION IF EXISTS appointments_series_patient_stays();
DROP TRIGGER IF EXISTS appointments_appointment_series_owner ON appointments_appointment;
DROP FUNCTION IF EXISTS appointments_occurrence_of_series();
DROP TRIGGER IF EXISTS appointments_queueticket_appointments_doctor ON appointments_queueticket;
DROP FUNCTION IF EXISTS appointments_queueticket_doctor();
"""


class Migration(migrations.Migration):
    dependencies = [("appointments", "0010_offer_closed_stays")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
