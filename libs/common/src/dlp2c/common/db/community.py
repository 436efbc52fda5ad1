"""What people add to the catalogue: accounts and sessions, ratings (one per user per design) and
design versions (an edit saved with a message, the published one marked on the design).

Passwords are hashed with scrypt and a per-user salt; session tokens are stored as their sha256 only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from typing import Any

from dlp2c.common.db import schema
from dlp2c.common.db.database import Database, DatabaseError
from dlp2c.common.errors import Dlp2cError
from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

NAME = re.compile(r"^[A-Za-z0-9_.-]{3,40}$")
SESSION_SECONDS = 14 * 24 * 3600
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


class AccountError(Dlp2cError):
    code = "account"


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        kind, salt, digest = stored.split("$")
    except ValueError:
        return False
    if kind != "scrypt":
        return False
    return hmac.compare_digest(hash_password(password, bytes.fromhex(salt)).split("$")[2], digest)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Community:
    """Accounts, sessions, ratings and versions over the metadata database."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # --- accounts and sessions -------------------------------------------------------------------

    def sign_up(self, name: str, password: str) -> int:
        if not NAME.match(name):
            raise AccountError("a user name is 3 to 40 letters, digits, '.', '_' or '-'", "name")
        if len(password) < 8 or len(password) > 200:
            raise AccountError("a password has 8 to 200 characters", "password")
        try:
            with self.db.engine.begin() as conn:
                result = conn.execute(insert(schema.users).values(name=name, password_hash=hash_password(password),
                                                                  created_at=time.time()))
                return int(result.inserted_primary_key[0])
        except IntegrityError:
            raise AccountError("that name is taken", "name") from None

    def log_in(self, name: str, password: str) -> tuple[str, str, dict[str, Any]]:
        """A new session: (token for the cookie, CSRF token, user); AccountError for a wrong pair."""
        user = self.db.fetch_one(select(schema.users).where(schema.users.c.name == name))
        if user is None or not check_password(password, user["password_hash"]):
            raise AccountError("wrong name or password", code="bad_login")
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = time.time()
        with self.db.engine.begin() as conn:
            conn.execute(insert(schema.sessions).values(token_hash=_token_hash(token), user_id=user["id"], csrf=csrf,
                                                        created_at=now, expires_at=now + SESSION_SECONDS))
        return token, csrf, {"id": user["id"], "name": user["name"]}

    def session(self, token: str) -> dict[str, Any] | None:
        """The session's user and CSRF token, when the token is known and not expired."""
        if not token:
            return None
        row = self.db.fetch_one(select(schema.sessions.c.user_id, schema.sessions.c.csrf, schema.users.c.name)
                           .join(schema.users, schema.users.c.id == schema.sessions.c.user_id)
                           .where(schema.sessions.c.token_hash == _token_hash(token),
                                  schema.sessions.c.expires_at > time.time()))
        return None if row is None else {"id": row["user_id"], "name": row["name"], "csrf": row["csrf"]}

    def log_out(self, token: str) -> None:
        with self.db.engine.begin() as conn:
            conn.execute(schema.sessions.delete().where(schema.sessions.c.token_hash == _token_hash(token)))

    # --- ratings ---------------------------------------------------------------------------------

    def rate(self, design_id: str, user_id: int, stars: int) -> dict[str, Any]:
        if not 1 <= stars <= 5:
            raise AccountError("a rating is 1 to 5 stars", "stars")
        with self.db.engine.begin() as conn:
            changed = conn.execute(update(schema.ratings).where(schema.ratings.c.design_id == design_id,
                                                                schema.ratings.c.user_id == user_id)
                                   .values(stars=stars, created_at=time.time())).rowcount
            if not changed:
                conn.execute(insert(schema.ratings).values(design_id=design_id, user_id=user_id, stars=stars,
                                                           created_at=time.time()))
        return self.rating(design_id, user_id)

    def rating(self, design_id: str, user_id: int | None = None) -> dict[str, Any]:
        with self.db.engine.connect() as conn:
            count, average = conn.execute(select(func.count(), func.avg(schema.ratings.c.stars))
                                          .where(schema.ratings.c.design_id == design_id)).one()
            mine = None
            if user_id is not None:
                mine = conn.execute(select(schema.ratings.c.stars).where(
                    schema.ratings.c.design_id == design_id, schema.ratings.c.user_id == user_id)).scalar()
        return {"count": count, "average": round(float(average), 2) if average is not None else None, "mine": mine}

    # --- versions --------------------------------------------------------------------------------

    def versions(self, design_id: str) -> list[dict[str, Any]]:
        return self.db.fetch_all(select(schema.design_versions).where(schema.design_versions.c.design_id == design_id)
                            .order_by(schema.design_versions.c.version))

    def version(self, design_id: str, version: int) -> dict[str, Any] | None:
        return self.db.fetch_one(select(schema.design_versions).where(schema.design_versions.c.design_id == design_id,
                                                                 schema.design_versions.c.version == version))

    def add_version(self, design_id: str, graph_key: str, message: str, author: str) -> int:
        """The next version number, recorded (the design's published version does not move)."""
        for _ in range(5):  # two editors saving at once: the loser takes the next number
            with self.db.engine.connect() as conn:
                last = conn.execute(select(func.max(schema.design_versions.c.version))
                                    .where(schema.design_versions.c.design_id == design_id)).scalar() or 0
            try:
                with self.db.engine.begin() as conn:
                    conn.execute(insert(schema.design_versions).values(
                        design_id=design_id, version=last + 1, graph_key=graph_key, message=message[:2000],
                        author=author[:120], created_at=time.time()))
                return last + 1
            except IntegrityError:
                continue
        raise DatabaseError("could not record the version; try again", design_id)

    def publish(self, design_id: str, version: int) -> None:
        row = self.version(design_id, version)
        if row is None:
            raise AccountError(f"no version {version}", "version", code="not_found")
        self.db.set_design(design_id, version=version, graph_key=row["graph_key"], status="found")

    # --- the catalogue ---------------------------------------------------------------------------

    def catalogue(self, query: str = "", sort: str = "newest", limit: int = 20, offset: int = 0
                  ) -> tuple[int, list[dict[str, Any]]]:
        """Papers matching ``query`` (title, authors, arXiv id), with their design count, average rating
        and number of edits; newest, best rated or most edited first."""
        p, d, r, v = schema.papers, schema.designs, schema.ratings, schema.design_versions
        ratings = (select(d.c.paper_id, func.avg(r.c.stars).label("rating"), func.count(r.c.stars).label("votes"))
                   .join(r, r.c.design_id == d.c.id).group_by(d.c.paper_id).subquery())
        edits = (select(d.c.paper_id, (func.count(v.c.version) - func.count(func.distinct(d.c.id))).label("edits"),
                        func.count(func.distinct(d.c.id)).label("designs"))
                 .join(v, v.c.design_id == d.c.id).group_by(d.c.paper_id).subquery())
        where = p.c.status != "failed"
        if query:
            like = f"%{query.lower()[:200]}%"
            where = and_(where, or_(func.lower(p.c.title).like(like), func.lower(p.c.authors).like(like),
                                    func.lower(p.c.arxiv_id).like(like)))
        order = {"newest": [p.c.created_at.desc()],
                 "rating": [func.coalesce(ratings.c.rating, 0).desc(), p.c.created_at.desc()],
                 "edits": [func.coalesce(edits.c.edits, 0).desc(), p.c.created_at.desc()]}[sort]
        base = (select(p.c.id, p.c.title, p.c.authors, p.c.arxiv_id, p.c.pages, p.c.created_at,
                       ratings.c.rating, ratings.c.votes, edits.c.edits, edits.c.designs)
                .outerjoin(ratings, ratings.c.paper_id == p.c.id).outerjoin(edits, edits.c.paper_id == p.c.id)
                .where(where))
        with self.db.engine.connect() as conn:
            total = conn.execute(select(func.count()).select_from(p).where(where)).scalar_one()
            rows = [dict(row) for row in conn.execute(base.order_by(*order).limit(limit).offset(offset)).mappings()]
        for row in rows:
            row["authors"] = json.loads(row["authors"])
            row["rating"] = round(float(row["rating"]), 2) if row["rating"] is not None else None
            row["votes"], row["edits"], row["designs"] = row["votes"] or 0, row["edits"] or 0, row["designs"] or 0
        return total, rows
