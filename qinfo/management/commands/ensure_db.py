"""Create the configured PostgreSQL database if it does not exist yet (idempotent)."""

from __future__ import annotations

import psycopg
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from psycopg import sql


class Command(BaseCommand):
    help = "สร้างฐานข้อมูล PostgreSQL ตาม DATABASE_URL หากยังไม่มี"

    def handle(self, *args, **options):
        db = settings.DATABASES["default"]
        params = {
            "host": db["HOST"] or None,
            "port": db["PORT"] or None,
            "user": db["USER"] or None,
            "password": db["PASSWORD"] or None,
            "dbname": "postgres",
            "autocommit": True,
        }
        try:
            with psycopg.connect(**{k: v for k, v in params.items() if v is not None}) as connection:
                exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]).fetchone()
                if exists:
                    self.stdout.write(f"ฐานข้อมูล {db['NAME']} มีอยู่แล้ว")
                    return
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(db["NAME"])))
                self.stdout.write(self.style.SUCCESS(f"สร้างฐานข้อมูล {db['NAME']} แล้ว"))
        except psycopg.OperationalError as error:
            raise CommandError(
                f"เชื่อมต่อ PostgreSQL ไม่ได้ ({error}). ตรวจสอบว่า PostgreSQL ทำงานอยู่และ DATABASE_URL ถูกต้อง"
            ) from error
