from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("minutes", "0003_denouncer_secret_encrypt_notes_scan"),
    ]

    operations = [
        migrations.AddField(
            model_name="citizensection",
            name="citizen_confirmed_via",
            field=models.CharField(blank=True, choices=[("join_link", "qua đường dẫn tham gia phiên tiếp"),
                                                        ("login", "sau khi đăng nhập tài khoản")],
                                   default="", max_length=16, verbose_name="công dân xác nhận qua"),
        ),
    ]
