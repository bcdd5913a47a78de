"""A classroom game in SQLite: an append-only log of what people did, plus codes and sessions.

Every accepted submission, negotiation reply, closed turn, inject, undo, pause and talks'
deadline is one row of ``log``, written in a ``BEGIN IMMEDIATE`` transaction with
``synchronous=FULL`` (in WAL mode), so it is on disk before the player is told it was
accepted. The game's state is the fold of that
log (see :meth:`GameStore.state`) and the world state follows by replaying it.

Join codes are stored only as SHA-256 digests and compared in constant time. The file holds
the session-signing secret, so it is created readable by its owner only (0600); sessions
expire after ``session_ttl`` seconds.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..engine.deals import package_from_terms
from ..engine.observation import option_label
from .game import (
    MISSING_MODES,
    REPLY_KINDS,
    Answer,
    ClosedTurn,
    GameDef,
    GameError,
    Move,
    OpenTalks,
    clean_text,
    open_talks,
    replay,
)
from .views import option_for

EXPORT_FORMAT = "summitsim-classroom-game"
EXPORT_VERSION = 1
SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS codes (
    role TEXT NOT NULL CHECK (role IN ('team', 'instructor')),
    actor TEXT,
    digest TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    turn INTEGER NOT NULL,
    actor TEXT,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS sessions (
    digest TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    actor TEXT,
    created REAL NOT NULL
);
"""
KINDS = (
    "submit",
    "drop",
    "close",
    "undo",
    "inject",
    "adjust",
    "pause",
    "resume",
    "reply",
    "talks_deadline",
)
MAX_DEADLINE_WALKS = 32  # replies recorded as walking away at one look (one per deal due)
MAX_DEADLINE_MINUTES = 240.0
SESSION_HOURS = 3.0  # how long a sign-in lasts: a lesson, with time to spare
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def new_code() -> str:
    """A join code: 16 random characters from a 32-letter alphabet (80 bits), in groups."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass
class Identity:
    role: str  # team | instructor
    actor: str | None  # the team's actor


@dataclass
class Pending:
    move: Move
    at: float


@dataclass
class GameState:
    """The fold of the log: what is closed, what is pending, and the clock."""

    closed: list[ClosedTurn] = field(default_factory=list)
    pending: dict[str, Pending] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)
    paused: bool = False
    opened_at: float = 0.0
    paused_for: float = 0.0  # seconds paused since the turn opened
    paused_since: float | None = None
    last_id: int = 0
    version: int = 0  # id of the last close/undo row: the replay's cache key
    answers: list[Answer] = field(default_factory=list)  # the open turn's negotiation replies
    talks_deadline: float | None = None  # when the open turn's talks must be done

    @property
    def talks_key(self) -> tuple[int, int]:
        """Changes whenever the open turn's negotiations may have moved."""
        return (self.version, len(self.answers))

    @property
    def turn(self) -> int:
        """The open turn (one past the last when the game is over)."""
        return len(self.closed) + 1

    def elapsed(self, now: float | None = None) -> float:
        now = time.time() if now is None else now
        paused = self.paused_for + (now - self.paused_since if self.paused_since else 0.0)
        return max(0.0, now - self.opened_at - paused)


def fold(rows: list[tuple[int, float, str, int, str | None, str]], created: float) -> GameState:
    """The state after the log's rows (in id order)."""
    return fold_onto(GameState(opened_at=created), rows)


def fold_onto(s: GameState, rows: list[tuple[int, float, str, int, str | None, str]]) -> GameState:
    """Apply more rows of the log to ``s`` (in place) and return it."""
    for rid, at, kind, turn, actor, data in rows:
        d = json.loads(data)
        s.last_id = rid
        if kind == "submit":
            if turn == s.turn and actor is not None:
                s.pending[actor] = Pending(Move.from_dict(d), at)
        elif kind == "drop":
            if turn == s.turn and actor is not None:
                s.pending.pop(actor, None)
        elif kind in ("inject", "adjust"):
            if turn == s.turn:
                s.events.append(d)
        elif kind == "reply":
            if turn == s.turn and actor is not None:
                s.answers.append(Answer.from_dict(d))
        elif kind == "talks_deadline":
            if turn == s.turn:
                s.talks_deadline = None if d["at"] is None else float(d["at"])
        elif kind == "close":
            moves = {m["actor"]: Move.from_dict(m) for m in d["moves"]}
            answers = [Answer.from_dict(a) for a in d.get("answers", [])]
            missing = str(d.get("missing", "ai"))
            s.closed.append(ClosedTurn(turn, moves, list(d["events"]), answers, missing))
            s.pending, s.events, s.answers, s.talks_deadline = {}, [], [], None
            s.opened_at, s.paused_for = at, 0.0
            s.paused_since = at if s.paused else None
            s.version = rid
        elif kind == "undo":
            ct = s.closed.pop()
            s.pending = {a: Pending(m, at) for a, m in ct.moves.items() if m.by == "human"}
            s.events, s.answers, s.talks_deadline = list(ct.events), list(ct.answers), None
            s.opened_at, s.paused_for = at, 0.0
            s.paused_since = at if s.paused else None
            s.version = rid
        elif kind == "pause":
            s.paused, s.paused_since = True, at
        elif kind == "resume":
            if s.paused_since is not None:
                s.paused_for += at - s.paused_since
            s.paused, s.paused_since = False, None
    return s


@dataclass
class _Queued:
    """A submission waiting to be written."""

    actor: str
    data: dict[str, Any]
    version: int
    turn: int | None
    done: bool = False
    error: GameError | None = None


class GameStore:
    """One game's SQLite file. Safe to share between threads (a connection per thread)."""

    def __init__(self, path: str | Path, session_ttl: float = SESSION_HOURS * 3600):
        self.path = Path(path)
        self.session_ttl = session_ttl
        if not self.path.is_file():
            raise GameError(f"no game at {self.path} (create one with `summitsim classroom new`)")
        self._local = threading.local()
        self._lock = threading.Lock()
        # One writer at a time within this process: threads queue here (a fast hand-over)
        # rather than in SQLite's busy handler (which sleeps and polls); other processes
        # are still kept out by BEGIN IMMEDIATE and the busy timeout.
        self._write_lock = threading.Lock()
        self._state: GameState | None = None
        self._queue_lock = threading.Lock()
        self._queue: list[_Queued] = []
        self._cache: dict[int, Any] = {}
        self._talks: dict[tuple[int, int], OpenTalks] = {}
        meta = self.meta()
        if int(meta.get("format_version", "0")) != EXPORT_VERSION:
            raise GameError(f"{self.path}: not a summitsim game file of a known version")
        self.gdef = GameDef.from_dict(json.loads(meta["game"]))
        self.deadline_minutes = float(meta.get("deadline_minutes", "0"))
        self.created = float(meta["created"])
        self.compiled = self.gdef.compiled()

    # ----- connections and transactions --------------------------------------------------
    def conn(self) -> sqlite3.Connection:
        c = getattr(self._local, "conn", None)
        if c is None:
            c = connect(self.path)
            self._local.conn = c
        return c

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        c = self.conn()
        with self._write_lock, transaction(c):
            yield c

    def meta(self) -> dict[str, str]:
        return dict(self.conn().execute("SELECT key, value FROM meta").fetchall())

    def secret_key(self) -> str:
        return self.meta()["secret"]

    # ----- state -------------------------------------------------------------------------
    def rows(self, c: sqlite3.Connection | None = None) -> list[Any]:
        c = c or self.conn()
        return c.execute("SELECT id, at, kind, turn, actor, data FROM log ORDER BY id").fetchall()

    def state(self, c: sqlite3.Connection | None = None) -> GameState:
        """The fold of the log as it is now (or within the transaction of ``c``).

        The fold is kept and extended with the rows added since, so a request costs one
        small query. The returned object is shared: treat it as read-only."""
        c = c or self.conn()
        with self._lock:
            base = self._state
        last = base.last_id if base is not None else 0
        rows = c.execute(
            "SELECT id, at, kind, turn, actor, data FROM log WHERE id > ? ORDER BY id", (last,)
        ).fetchall()
        if base is not None and not rows:
            return base
        if base is None:
            new = fold(rows, self.created)
        else:
            # fold_onto replaces entries, never mutates them: copying the containers will do
            new = fold_onto(
                replace(
                    base,
                    closed=list(base.closed),
                    pending=dict(base.pending),
                    events=list(base.events),
                    answers=list(base.answers),
                ),
                rows,
            )
        with self._lock:
            if self._state is None or new.last_id >= self._state.last_id:
                self._state = new
        return new

    def finished(self, s: GameState) -> bool:
        return s.turn > self.gdef.turns

    def model(self, s: GameState) -> Any:
        """The model after the closed turns of ``s`` (cached per close/undo)."""
        with self._lock:
            hit = self._cache.get(s.version)
        if hit is not None:
            return hit
        model = replay(self.gdef, s.closed)
        with self._lock:
            if len(self._cache) > 8:
                self._cache.clear()
            self._cache[s.version] = model
        return model

    def menu_model(self, s: GameState) -> Any:
        """The model the open turn's moves are chosen in: after that turn's talks once they
        are over (a deal signed there can make moves legal or not), else after the closed
        turns (a move chosen before the talks end is checked again when the turn closes)."""
        if self.compiled.deals and not self.finished(s):
            after = self.open_talks(s).model
            if after is not None:
                return after
        return self.model(s)

    def result(self, s: GameState) -> dict[str, Any]:
        key = -s.version - 1
        with self._lock:
            hit = self._cache.get(key)
        if hit is None:
            hit = self.model(s).result().to_dict()
            with self._lock:
                self._cache[key] = hit
        return dict(hit)

    # ----- identity ----------------------------------------------------------------------
    def check_code(self, code: str) -> Identity | None:
        """The identity a join code gives, compared in constant time against every code."""
        d = digest(normalise_code(code or ""))
        found = None
        for role, actor, stored in self.conn().execute("SELECT role, actor, digest FROM codes"):
            if hmac.compare_digest(d, stored):
                found = Identity(role, actor)
        return found

    def new_session(self, who: Identity) -> str:
        sid = secrets.token_urlsafe(32)
        with self.write() as c:
            c.execute("DELETE FROM sessions WHERE created <= ?", (self._expired(),))
            c.execute(
                "INSERT INTO sessions (digest, role, actor, created) VALUES (?, ?, ?, ?)",
                (digest(sid), who.role, who.actor, time.time()),
            )
        return sid

    def session(self, sid: Any) -> Identity | None:
        if not isinstance(sid, str) or not sid or len(sid) > 100:
            return None
        row = (
            self.conn()
            .execute(
                "SELECT role, actor FROM sessions WHERE digest = ? AND created > ?",
                (digest(sid), self._expired()),
            )
            .fetchone()
        )
        return Identity(row[0], row[1]) if row else None

    def signed_in_teams(self) -> set[str]:
        """The teams (actor ids) with a session that has not expired."""
        rows = self.conn().execute(
            "SELECT DISTINCT actor FROM sessions WHERE role = 'team' AND created > ?",
            (self._expired(),),
        )
        return {str(a) for (a,) in rows if a is not None}

    def _expired(self) -> float:
        """Sessions created at or before this time have expired."""
        return time.time() - self.session_ttl

    def end_session(self, sid: Any) -> None:
        if isinstance(sid, str):
            with self.write() as c:
                c.execute("DELETE FROM sessions WHERE digest = ?", (digest(sid),))

    def new_code_for(self, role: str, actor: str | None) -> str:
        """Replace the code of a team (or the instructor's) and end its sessions."""
        code = new_code()
        with self.write() as c:
            c.execute(
                "DELETE FROM codes WHERE role = ? AND actor IS ?",
                (role, actor),
            )
            c.execute("DELETE FROM sessions WHERE role = ? AND actor IS ?", (role, actor))
            c.execute(
                "INSERT INTO codes (role, actor, digest) VALUES (?, ?, ?)",
                (role, actor, digest(normalise_code(code))),
            )
        return code

    # ----- actions -----------------------------------------------------------------------
    def _append(
        self, c: sqlite3.Connection, kind: str, turn: int, actor: str | None, data: Any
    ) -> int:
        cur = c.execute(
            "INSERT INTO log (at, kind, turn, actor, data) VALUES (?, ?, ?, ?, ?)",
            (time.time(), kind, turn, actor, json.dumps(data, sort_keys=True)),
        )
        return int(cur.lastrowid or 0)

    def submit(
        self, actor: str, move: str, justification: Any = "", turn: int | None = None
    ) -> int:
        """A team's move for the open turn (replacing its earlier one). Returns the turn."""
        if actor not in self.gdef.humans:
            raise GameError("that actor is not played by a team in this game")
        if not isinstance(move, str) or not move or len(move) > 200:
            raise GameError("invalid move")
        text = clean_text(justification)
        s = self.state()
        self._check_open(s, turn)
        obs = self.menu_model(s).observe(self.compiled.actor_index[actor])
        try:
            option = option_for(self.compiled, obs, move.split("+"))
        except ValueError as exc:
            raise GameError(str(exc)) from None
        move = option_label(self.compiled, option)  # one spelling: ids in scenario order
        item = _Queued(actor, Move(actor, move, text, "human").to_dict(), s.version, turn)
        self._group_commit(item)
        return s.turn

    def drop(self, actor: Any) -> int:
        """Drop a team's submitted move for the open turn (the instructor's *Drop*); the
        team may submit again. Returns the turn."""
        if actor not in self.gdef.humans:
            raise GameError("that actor is not played by a team in this game")
        with self.write() as c:
            s = self.state(c)
            if self.finished(s):
                raise GameError("the game is over")
            if actor not in s.pending:
                name = self.compiled.actors[self.compiled.actor_index[actor]].name
                raise GameError(f"{name} has no move to drop.")
            self._append(c, "drop", s.turn, actor, {})
        return s.turn

    def _group_commit(self, item: _Queued) -> None:
        """Write a submission, together with any others waiting, in one transaction.

        Each commit with synchronous=FULL waits for the disk; a batch shares that wait.
        Whoever holds the write lock commits everything queued so far; the others find
        their submission done (or refused) when they get the lock. Nobody is answered
        before the transaction holding their row has committed."""
        with self._queue_lock:
            self._queue.append(item)
        with self._write_lock:
            if not item.done:
                with self._queue_lock:
                    batch, self._queue = self._queue, []
                self._commit_batch(batch)
        if item.error is not None:
            raise item.error

    def _commit_batch(self, batch: list[_Queued]) -> None:
        """Write ``batch`` in one transaction; mark each item done (with its error, if
        refused) only once the transaction has committed. Hold ``_write_lock``."""
        c = self.conn()
        try:
            with transaction(c):
                now = self.state(c)
                for it in batch:
                    try:
                        if now.version != it.version:  # the turn closed or was undone meanwhile
                            raise GameError(
                                "the turn changed while you were submitting; look again"
                            )
                        self._check_open(now, it.turn)
                        self._append(c, "submit", now.turn, it.actor, it.data)
                    except GameError as exc:
                        it.error = exc
        except BaseException:
            for it in batch:
                it.error, it.done = GameError("the move could not be stored; try again"), True
            raise
        for it in batch:
            it.done = True

    def _check_open(self, s: GameState, turn: int | None) -> None:
        if self.finished(s):
            raise GameError("the game is over")
        if turn is not None and turn != s.turn:
            raise GameError(f"turn {turn} is closed; the open turn is {s.turn}")
        if s.paused:
            raise GameError("the game is paused")

    # ----- negotiations -------------------------------------------------------------------
    def talks(self) -> tuple[GameState, OpenTalks]:
        """The state and the open turn's negotiations as the replies so far take them. A
        team reply due once the talks' deadline has passed is first recorded as walking
        away."""
        for _ in range(MAX_DEADLINE_WALKS):
            s = self.state()
            ot = self.open_talks(s)
            if ot.due is None or not self.past_deadline(s):
                break
            walk = Answer(ot.due.talks.deal.id, ot.due.actor, ot.due.seq, "walk", by="deadline")
            with contextlib.suppress(GameError):  # if the talks moved meanwhile: look again
                self._reply(s, walk)
        return s, ot

    def open_talks(self, s: GameState) -> OpenTalks:
        """The negotiations of ``s`` (cached; no deadline applied)."""
        key = s.talks_key
        with self._lock:
            hit = self._talks.get(key)
        if hit is None:
            hit = open_talks(self.gdef, s.closed, s.answers)
            with self._lock:
                if len(self._talks) > 16:
                    self._talks.clear()
                self._talks[key] = hit
        return hit

    def past_deadline(self, s: GameState, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        return s.talks_deadline is not None and now >= s.talks_deadline and not s.paused

    def reply(self, actor: str, deal: Any, seq: Any, kind: Any, terms: Any = ()) -> Answer:
        """A team's reply in the negotiation of the open turn that awaits it: to ``deal``,
        its ``seq``-th reply there (what the page showed), ``kind`` accept, offer (with
        ``terms``: a level id per issue) or walk."""
        if actor not in self.gdef.humans:
            raise GameError("that actor is not played by a team in this game")
        if kind not in REPLY_KINDS:
            raise GameError("reply by accepting, making an offer or walking away")
        s, ot = self.talks()
        self._check_open(s, None)
        due = ot.due
        if due is None or due.actor != actor:
            raise GameError("no reply is due from you now")
        if deal != due.talks.deal.id or seq != due.seq:
            raise GameError("the talks have moved on; look again")
        if kind == "accept" and due.talks.table is None:
            raise GameError("there is no offer to accept yet: make one or walk away")
        ans = Answer(deal, actor, due.seq, kind, self._terms(due.talks.deal, kind, terms))
        self._reply(s, ans)
        return ans

    @staticmethod
    def _terms(deal: Any, kind: str, terms: Any) -> tuple[str, ...]:
        if kind != "offer":
            return ()
        if not isinstance(terms, (list, tuple)) or not all(isinstance(t, str) for t in terms):
            raise GameError("choose a term for each issue")
        if len(terms) != len(deal.issues):
            raise GameError("choose a term for each issue")
        try:
            package_from_terms(deal, list(terms))
        except ValueError as exc:
            raise GameError(str(exc)) from None
        return tuple(terms)

    def _reply(self, s: GameState, ans: Answer) -> None:
        """Store ``ans`` if the talks are still where ``s`` saw them."""
        with self.write() as c:
            now = self.state(c)
            if now.talks_key != s.talks_key:
                raise GameError("the talks have moved on; look again")
            self._check_open(now, None)
            self._append(c, "reply", now.turn, ans.actor, ans.to_dict())

    def set_talks_deadline(self, minutes: Any) -> float | None:
        """The open turn's talks must be done ``minutes`` from now (0 or None: no
        deadline). Returns the deadline (seconds since the epoch)."""
        if minutes in (None, "", 0):
            at = None
        else:
            try:
                m = float(minutes)
            except (TypeError, ValueError):
                raise GameError("the deadline must be a number of minutes") from None
            if not 0 < m <= MAX_DEADLINE_MINUTES:
                raise GameError(f"the deadline must be 0 to {MAX_DEADLINE_MINUTES:g} minutes")
            at = time.time() + 60.0 * m
        self._event("talks_deadline", {"at": at})
        return at

    def close_turn(self, missing: str = "ai") -> int:
        """Close the open turn: teams that did not submit are played by the AI or hold; a
        negotiation reply still due is the AI's, or (hold) walking away."""
        if missing not in MISSING_MODES:
            raise GameError(f"missing teams are played by one of: {', '.join(MISSING_MODES)}")
        if self.compiled.deals:
            self.talks()  # a deadline that has passed is recorded first
        with self.write() as c:
            s = self.state(c)
            if self.finished(s):
                raise GameError("the game is over")
            moves = []
            for a in self.gdef.humans:
                p = s.pending.get(a)
                if p is not None:
                    moves.append(p.move.to_dict())
                else:
                    moves.append(Move(a, "hold", "", missing).to_dict())
            data: dict[str, Any] = {"moves": moves, "events": s.events, "missing": missing}
            if s.answers:
                data["answers"] = [a.to_dict() for a in s.answers]
            self._append(c, "close", s.turn, None, data)
            turn = s.turn
        self.model(self.state())  # replay now, so the next page view is quick
        return turn

    def undo(self) -> int:
        """Reopen the last closed turn, with the teams' moves and the events it had."""
        with self.write() as c:
            s = self.state(c)
            if not s.closed:
                raise GameError("no turn has been closed yet")
            turn = s.closed[-1].turn
            self._append(c, "undo", turn, None, {})
        return turn

    def inject(self, inject_id: Any) -> None:
        ids = {i.id for i in self.compiled.injects}
        if not isinstance(inject_id, str) or inject_id not in ids:
            raise GameError("unknown event")
        self._event("inject", {"inject": inject_id})

    def adjust(self, variable: Any, delta: Any) -> None:
        c = self.compiled
        if not isinstance(variable, str) or variable not in c.slots[: c.n_vars]:
            raise GameError("unknown variable")
        try:
            d = float(delta)
        except (TypeError, ValueError):
            raise GameError("the change must be a number") from None
        k = c.slots.index(variable)
        span = c.hi[k] - c.lo[k]
        if not (d == d) or abs(d) > span or d == 0:
            raise GameError(f"the change must be non-zero and at most {span:g} in size")
        self._event("adjust", {"variable": variable, "delta": d})

    def _event(self, kind: str, data: dict[str, Any]) -> None:
        with self.write() as c:
            s = self.state(c)
            if self.finished(s):
                raise GameError("the game is over")
            self._append(c, kind, s.turn, None, data)

    def pause(self, on: bool) -> None:
        with self.write() as c:
            s = self.state(c)
            if s.paused == on:
                return
            self._append(c, "pause" if on else "resume", s.turn, None, {})

    # ----- export ------------------------------------------------------------------------
    def export(self) -> dict[str, Any]:
        meta = self.meta()
        c = self.conn()
        codes = [
            {"role": r, "actor": a, "sha256": d}
            for r, a, d in c.execute("SELECT role, actor, digest FROM codes ORDER BY rowid")
        ]
        log = [
            {"id": rid, "at": at, "kind": kind, "turn": turn, "actor": actor, "data": json.loads(d)}
            for rid, at, kind, turn, actor, d in self.rows()
        ]
        return {
            "format": EXPORT_FORMAT,
            "version": EXPORT_VERSION,
            "game": json.loads(meta["game"]),
            "deadline_minutes": self.deadline_minutes,
            "created": self.created,
            "codes": codes,
            "log": log,
        }


@contextmanager
def transaction(c: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, rolled back if anything fails (a failed statement
    or COMMIT may already have ended the transaction, hence the check)."""
    c.execute("BEGIN IMMEDIATE")
    try:
        yield c
        c.execute("COMMIT")
    except BaseException:
        if c.in_transaction:
            c.execute("ROLLBACK")
        raise


def connect(path: str | Path) -> sqlite3.Connection:
    c = sqlite3.connect(str(path), timeout=30.0, isolation_level=None, check_same_thread=False)
    c.execute("PRAGMA busy_timeout = 30000")
    c.execute("PRAGMA journal_mode = WAL")
    c.execute("PRAGMA synchronous = FULL")
    return c


def create(
    path: str | Path, gdef: GameDef, deadline_minutes: float = 0.0
) -> tuple[dict[str, str], str]:
    """Create a game file. Returns the teams' codes (actor -> code) and the instructor's."""
    path = Path(path)
    if path.exists():
        raise GameError(f"{path} already exists; choose another file name")
    team_codes = {a: new_code() for a in gdef.humans}
    instructor = new_code()
    codes: list[tuple[str, str | None, str]] = [
        ("team", a, digest(normalise_code(k))) for a, k in team_codes.items()
    ]
    codes.append(("instructor", None, digest(normalise_code(instructor))))
    _create(path, gdef.to_dict(), deadline_minutes, time.time(), codes, [])
    return team_codes, instructor


def _create(
    path: Path,
    game: dict[str, Any],
    deadline_minutes: float,
    created: float,
    codes: list[tuple[str, str | None, str]],
    log: list[tuple[int, float, str, int, str | None, str]],
) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        # owner-only from the start (it holds the signing secret); SQLite gives its -wal and
        # -shm files the same mode
        os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        c = connect(tmp)
        c.executescript(SCHEMA)
        meta = {
            "format_version": str(EXPORT_VERSION),
            "game": json.dumps(game, sort_keys=True),
            "deadline_minutes": repr(float(deadline_minutes)),
            "created": repr(float(created)),
            "secret": secrets.token_hex(32),
        }
        with transaction(c):
            c.executemany("INSERT INTO meta (key, value) VALUES (?, ?)", meta.items())
            c.executemany("INSERT INTO codes (role, actor, digest) VALUES (?, ?, ?)", codes)
            c.executemany(
                "INSERT INTO log (id, at, kind, turn, actor, data) VALUES (?, ?, ?, ?, ?, ?)", log
            )
        c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        c.close()
        if path.exists():
            raise GameError(f"{path} already exists; choose another file name")
        tmp.rename(path)
    finally:
        for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            p.unlink(missing_ok=True)


def import_game(data: Any, path: str | Path) -> None:
    """Create a game file from an export (checked: format, version, scenario, log)."""
    if not isinstance(data, dict) or data.get("format") != EXPORT_FORMAT:
        raise GameError("not a summitsim classroom game export")
    if data.get("version") != EXPORT_VERSION:
        raise GameError(f"unsupported export version {data.get('version')!r}")
    try:
        gdef = GameDef.from_dict(data["game"])
        gdef.compiled()
        codes = []
        for k in data["codes"]:
            role, actor, d = str(k["role"]), k["actor"], str(k["sha256"])
            if role not in ("team", "instructor") or len(d) != 64:
                raise GameError("bad code entry")
            codes.append((role, None if actor is None else str(actor), d))
        log = []
        for r in data["log"]:
            kind = str(r["kind"])
            if kind not in KINDS:
                raise GameError(f"unknown log entry kind {kind!r}")
            actor = None if r["actor"] is None else str(r["actor"])
            row = (int(r["id"]), float(r["at"]), kind, int(r["turn"]), actor)
            log.append((*row, json.dumps(r["data"], sort_keys=True)))
        fold(log, float(data["created"]))
        _create(
            Path(path),
            gdef.to_dict(),
            float(data["deadline_minutes"]),
            float(data["created"]),
            codes,
            log,
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        if isinstance(exc, GameError):
            raise
        raise GameError(f"the export is damaged: {exc!r}") from None
