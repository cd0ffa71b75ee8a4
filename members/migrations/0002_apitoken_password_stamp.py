from django.db import migrations, models

# Tokens issued before the stamp existed carry their account's current password (the value of
# members.api.authentication.password_stamp), so that nobody is logged out by the upgrade; an empty
# stamp never matches and would end every login.
STAMP_EXISTING_TOKENS = """
UPDATE members_apitoken t SET password_stamp = encode(sha256(convert_to(u.password, 'UTF8')), 'hex')
FROM members_user u WHERE u.id = t.user_id
"""


class Migration(migrations.Migration):

    dependencies = [
        ("members", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="password_stamp",
            field=models.CharField(default="", editable=False, max_length=64, verbose_name="密码版本"),
        ),
        migrations.RunSQL(STAMP_EXISTING_TOKENS, migrations.RunSQL.noop),
    ]
