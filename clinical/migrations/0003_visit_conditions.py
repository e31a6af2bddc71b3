# Visits note the conditions found, as well as the medications given and procedures performed.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('clinical', '0002_roles'),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='visititem',
            name='clinical_visititem_kind_valid',
        ),
        migrations.RemoveConstraint(
            model_name='visititem',
            name='clinical_visititem_medication_from_price_list',
        ),
        migrations.AlterField(
            model_name='visititem',
            name='kind',
            field=models.CharField(choices=[('medication', 'Medication given'), ('surgery', 'Surgery or procedure performed'), ('condition', 'Condition found')], max_length=12),
        ),
        migrations.AddConstraint(
            model_name='visititem',
            constraint=models.CheckConstraint(condition=models.Q(('kind__in', ['medication', 'surgery', 'condition'])), name='clinical_visititem_kind_valid', violation_error_message='A visit item is a medication, a surgery or a condition.'),
        ),
        migrations.AddConstraint(
            model_name='visititem',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'medication'), ('medication__isnull', False), ('procedure__isnull', True)), models.Q(('kind', 'surgery'), ('medication__isnull', True)), models.Q(('kind', 'condition'), ('medication__isnull', True), ('procedure__isnull', True)), _connector='OR'), name='clinical_visititem_medication_from_price_list', violation_error_message='Pick the medication from the price list; a condition is described, not picked from a list.'),
        ),
        migrations.AlterConstraint(
            model_name='visititem',
            name='clinical_visititem_description_not_blank',
            constraint=models.CheckConstraint(condition=models.Q(('description', ''), _negated=True), name='clinical_visititem_description_not_blank', violation_error_message='Name the surgery, procedure or condition.'),
        ),
    ]
