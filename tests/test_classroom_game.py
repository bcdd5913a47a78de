"""Classroom games without a server: replay, rules, storage, export and import, the CLI."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

import pytest

from summitsim.classroom.game import (
    ClosedTurn,
    GameError,
    Move,
    allowed_next,
    briefing,
    clean_text,
    new_def,
    options,
    redact,
    replay,
)
from summitsim.classroom.report import after_action, choices
from summitsim.classroom.store import GameStore, create, fold, import_game
from summitsim.engine.model import SummitModel

SCEN = "pyongyang-2024"


def cli(*args: str) -> Any:
    """Run the command line in this process (fast; the load tests run real processes)."""
    from typer.testing import CliRunner

    from summitsim.cli import app

    return CliRunner().invoke(app, list(args))


@pytest.fixture
def game(tmp_path):
    gdef = new_def(SCEN, ["russia", "south_korea"], {"seoul_credibility": 0.5}, seed=3, turns=6)
    codes, instructor = create(tmp_path / "g.sqlite", gdef, deadline_minutes=5)
    return GameStore(tmp_path / "g.sqlite"), codes, instructor


# ----- replay and rules ---------------------------------------------------------------------
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_allowed_next_matches_the_model(seed):
    """What we offer a player before a turn is exactly what the engine allows in it."""
    seen = []

    class Spy:
        by = "ai"

        def __init__(self):
            from summitsim.policies import AIPolicy

            self.ai = AIPolicy()

        def decide(self, obs):
            seen.append((obs.turn, obs.actor.index, list(obs.moves)))
            return self.ai.decide(obs)

        def consent(self, obs, action):
            return self.ai.consent(obs, action)

    m = SummitModel(SCEN, seed=seed, collect=False, policies={"russia": Spy(), "china": Spy()})
    predicted = []
    while m.running:
        for a in ("russia", "china"):
            i = m.compiled.actor_index[a]
            predicted.append((m.ctx.turn + 1, i, allowed_next(m, i)))
        m.step()
    assert predicted == seen
    assert any(len(p[2]) < len(m.compiled.actors[p[1]].actions) for p in predicted)


def test_replay_is_deterministic_and_advice_does_not_perturb_it():
    gdef = new_def(SCEN, ["russia"], seed=7, turns=5)
    closed = [
        ClosedTurn(1, {"russia": Move("russia", "consult_beijing", "first")}),
        ClosedTurn(2, {"russia": Move("russia", "hold", "", "ai")}),
        ClosedTurn(
            3,
            {"russia": Move("russia", "buy_munitions", "shells")},
            [{"inject": "winter_shortage"}],
        ),
        ClosedTurn(4, {"russia": Move("russia", "hold", "", "hold")}),
    ]
    a = replay(gdef, closed).result().to_dict()
    b = replay(gdef, closed).result().to_dict()
    advice: dict = {}
    c = replay(gdef, closed, advice=advice).result().to_dict()
    assert a["turns"] == b["turns"] == c["turns"]
    assert set(advice["russia"]) == {1, 2, 3, 4}
    moves = [next(x for x in t["actions"] if x["actor"] == "russia") for t in a["turns"][1:]]
    assert moves[0]["move"] == "consult_beijing"
    assert moves[0]["by"] == "human" and moves[0]["rationale"]["justification"] == "first"
    assert moves[1]["by"] == "ai"  # the AI played the missing team
    assert moves[3]["move"] == "hold"
    assert any(i["inject"] == "winter_shortage" for i in a["turns"][3]["injects"])
    # a different human choice gives a different game
    other = [ClosedTurn(1, {"russia": Move("russia", "warn_seoul", "")}), *closed[1:]]
    assert replay(gdef, other).result().to_dict()["turns"] != a["turns"]


def test_briefing_hides_other_actors_private_text():
    gdef = new_def(SCEN, ["russia", "united_states"], turns=3)
    m = replay(gdef, [])
    spec = m.compiled.spec
    b = briefing(m, "russia")
    text = json.dumps(b)
    assert spec.actors["russia"].briefing.private.strip()[:40] in text
    for aid, a in spec.actors.items():
        if aid != "russia" and a.briefing.private.strip():
            assert a.briefing.private.strip()[:40] not in text
        for i in a.interests:
            if aid != "russia" and i.private:
                assert i.description not in [x for o in b["others"] for x in o["interests"]]
    # Washington's private red line stays hidden from Moscow; the US team sees it
    assert "washington_satellites" not in {r["id"] for r in b["known_red_lines"]}
    assert "washington_satellites" in {r["id"] for r in briefing(m, "united_states")["red_lines"]}
    offered = {o["move"] for o in options(m, "russia")}
    assert offered >= {"hold", "consult_beijing"}
    assert "veto_sanctions" not in offered  # nothing is tabled to veto on turn 1


def test_redact_keeps_only_own_words():
    gdef = new_def(SCEN, ["russia", "china"], turns=2)
    closed = [
        ClosedTurn(
            1,
            {
                "russia": Move("russia", "consult_beijing", "moscow-secret"),
                "china": Move("china", "hold", "beijing-secret"),
            },
        )
    ]
    full = replay(gdef, closed).result().to_dict()
    seen = json.dumps(redact(full, "russia"))
    assert "moscow-secret" in seen and "beijing-secret" not in seen
    ai_sentences = [
        a["rationale"]["sentence"] for a in full["turns"][1]["actions"] if a["by"] == "ai"
    ]
    assert ai_sentences and not any(s in seen for s in ai_sentences if s)
    assert "beijing-secret" in json.dumps(redact(full, None))


def test_redact_hides_unknown_red_lines():
    """A private red line leaves no trace (not even "approached") for teams that do not
    know it; its owner sees it, and everyone does once it is crossed."""
    from summitsim.classroom.game import hidden_red_lines

    gdef = new_def(SCEN, ["russia", "united_states"], turns=3)
    m = replay(gdef, [])
    assert hidden_red_lines(m, "russia") == {"washington_satellites"}
    assert hidden_red_lines(m, "united_states") == set()
    fake = m.result().to_dict()
    entry = {
        "owner": "united_states",
        "red_line": "washington_satellites",
        "status": "approached",
        "crossed_by": [],
        "responded": False,
    }
    fake["turns"][0]["red_lines"].append(entry)
    seen = json.dumps(redact(fake, "russia", hidden_red_lines(m, "russia")))
    assert "washington_satellites" not in seen
    assert "washington_satellites" in json.dumps(
        redact(fake, "united_states", hidden_red_lines(m, "united_states"))
    )
    m.revealed[m.compiled.red_lines[2].index] = True  # as when it is crossed
    assert m.compiled.red_lines[2].id == "washington_satellites"
    assert hidden_red_lines(m, "russia") == set()


def test_clean_text():
    assert clean_text("  fine\r\nline ") == "fine\nline"
    with pytest.raises(GameError):
        clean_text("x" * 501)
    with pytest.raises(GameError):
        clean_text("bell\x07")
    with pytest.raises(GameError):
        clean_text(["not", "text"])


# ----- the store ----------------------------------------------------------------------------
def test_sqlite_settings_and_hashed_codes(game, tmp_path):
    store, codes, instructor = game
    c = store.conn()
    assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert c.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    raw = (tmp_path / "g.sqlite").read_bytes()
    for code in [*codes.values(), instructor]:
        assert code.encode() not in raw and code.replace("-", "").encode() not in raw
    assert store.check_code(codes["russia"]).actor == "russia"
    assert store.check_code(codes["russia"].lower().replace("-", " ")).role == "team"
    assert store.check_code(instructor).role == "instructor"
    assert store.check_code("AAAA-BBBB-CCCC-DDDD") is None
    assert store.check_code("") is None


def test_submit_change_close_undo(game):
    store, _, _ = game
    assert store.submit("russia", "buy_munitions", "first") == 1
    assert store.submit("russia", "consult_beijing", "changed my mind") == 1
    s = store.state()
    assert s.pending["russia"].move.move == "consult_beijing"
    with pytest.raises(GameError):
        store.submit("russia", "arm_ukraine")  # South Korea's move
    with pytest.raises(GameError):
        store.submit("china", "hold")  # not a team
    with pytest.raises(GameError, match="not possible this turn"):
        store.submit("russia", "veto_sanctions")  # needs a tabled draft first
    with pytest.raises(GameError, match="the open turn is 1"):
        store.submit("russia", "consult_beijing", turn=2)
    store.inject("winter_shortage")
    store.adjust("regional_tension", "7.5")
    with pytest.raises(GameError):
        store.adjust("regional_tension", "nan")
    with pytest.raises(GameError):
        store.adjust("no_such_variable", 1)
    with pytest.raises(GameError):
        store.inject("no_such_inject")
    assert store.close_turn("hold") == 1
    s = store.state()
    assert s.turn == 2 and not s.pending and not s.events
    moves = s.closed[0].moves
    assert moves["russia"] == Move("russia", "consult_beijing", "changed my mind", "human")
    assert moves["south_korea"].by == "hold"
    r = store.result(s)
    start = replay(store.gdef, [])
    tension = start.ctx.x[start.compiled.slots.index("regional_tension")]
    assert r["turns"][1]["state"]["regional_tension"] != tension
    assert {
        "inject": "adjustment",
        "variable": "regional_tension",
        "delta": 7.5,
        "name": "regional_tension +7.5",
    } in r["turns"][1]["injects"]
    before = r["turns"]
    # undo reopens turn 1 with its moves and events; closing again gives the same turn
    store.submit("russia", "hold", "turn 2 plan")
    assert store.undo() == 1
    s = store.state()
    assert s.turn == 1 and s.pending["russia"].move.move == "consult_beijing"
    assert len(s.events) == 2
    store.close_turn("hold")
    assert store.result(store.state())["turns"] == before


def test_pause_blocks_submissions_and_stops_clock(game):
    store, _, _ = game
    store.pause(True)
    with pytest.raises(GameError, match="paused"):
        store.submit("russia", "hold")
    store.pause(False)
    store.submit("russia", "hold")
    rows = store.rows()
    s = fold(rows, store.created)
    assert not s.paused and s.paused_for >= 0


def test_game_ends(game):
    store, _, _ = game
    for _ in range(6):
        store.close_turn("ai")
    with pytest.raises(GameError, match="over"):
        store.close_turn("ai")
    with pytest.raises(GameError, match="over"):
        store.submit("russia", "hold")
    html = after_action(store.gdef, store.state().closed)
    assert "The teams&#x27; choices beside the AI&#x27;s" in html or "choices beside" in html


def test_export_import_is_lossless(game, tmp_path):
    store, codes, _ = game
    store.submit("russia", "buy_munitions", "<script>alert(1)</script> & more")
    store.inject("winter_shortage")
    store.close_turn("ai")
    store.pause(True)
    store.pause(False)
    store.submit("south_korea", "hold", "wait")
    store.close_turn("hold")
    store.undo()
    data = store.export()
    text = json.dumps(data)
    import_game(json.loads(text), tmp_path / "copy.sqlite")
    copy = GameStore(tmp_path / "copy.sqlite")
    assert copy.export() == data
    assert copy.result(copy.state()) == store.result(store.state())
    assert copy.check_code(codes["russia"]).actor == "russia"
    assert copy.secret_key() != store.secret_key()  # sessions do not travel
    with pytest.raises(GameError):
        import_game(json.loads(text), tmp_path / "copy.sqlite")  # never overwrites
    bad = json.loads(text)
    bad["version"] = 99
    with pytest.raises(GameError, match="version"):
        import_game(bad, tmp_path / "bad.sqlite")
    bad = json.loads(text)
    bad["log"][0]["kind"] = "drop table"
    with pytest.raises(GameError):
        import_game(bad, tmp_path / "bad2.sqlite")
    assert not (tmp_path / "bad2.sqlite").exists()


def test_game_survives_a_changed_scenario_file(tmp_path):
    from summitsim.classroom.game import scenario_text

    path = tmp_path / "s.yaml"
    text = scenario_text(SCEN).replace("Consult Beijing at the top", "Consult Xi in private")
    assert "Consult Xi in private" in text  # the renamed move is one the game will play
    path.write_text(text, encoding="utf-8")
    gdef = new_def(str(path), ["russia"], turns=3)
    create(tmp_path / "g.sqlite", gdef)
    store = GameStore(tmp_path / "g.sqlite")
    store.submit("russia", "consult_beijing")
    store.close_turn("ai")
    before = store.result(store.state())
    changed = text.replace("initial: 70", "initial: 20", 1)
    assert changed != text
    path.write_text(changed, encoding="utf-8")
    again = GameStore(tmp_path / "g.sqlite")
    assert again.result(again.state())["turns"] == before["turns"]
    # the debrief names the moves from the game's own copy of the scenario
    assert "Consult Xi in private" in after_action(again.gdef, again.state().closed)


def test_after_action_choices_beside_ai():
    gdef = new_def(SCEN, ["russia"], seed=1, turns=3)
    closed = [ClosedTurn(t, {"russia": Move("russia", "hold", f"why {t}")}) for t in (1, 2, 3)]
    _, rows = choices(gdef, closed)
    assert [r["turn"] for r in rows] == [1, 2, 3]
    assert all(r["move"] == "hold" and r["justification"] == f"why {r['turn']}" for r in rows)
    assert all(r["ai_move"] and r["ai_rationale"] for r in rows)
    assert any(not r["same"] for r in rows)  # the AI would not just sit out


# ----- the command line ---------------------------------------------------------------------
def test_cli_new_export_import(tmp_path):
    db = tmp_path / "class.sqlite"
    r = cli(
        "classroom",
        "new",
        SCEN,
        "--teams",
        "russia,china",
        "--db",
        str(db),
        "--set",
        "seoul_credibility=0.3",
        "--seed",
        "5",
        "--deadline",
        "12",
    )
    assert r.exit_code == 0, r.output
    codes = [w for w in r.stdout.split() if w.count("-") == 3 and len(w) == 19]
    assert len(codes) == 3 and len(set(codes)) == 3
    store = GameStore(db)
    assert store.gdef.params == {"seoul_credibility": 0.3} and store.gdef.seed == 5
    assert store.deadline_minutes == 12
    r = cli("classroom", "new", SCEN, "--teams", "russia", "--db", str(db))
    assert r.exit_code != 0 and "already exists" in r.output and "Traceback" not in r.output
    r = cli("classroom", "new", SCEN, "--teams", "atlantis", "--db", str(tmp_path / "x.sqlite"))
    assert r.exit_code != 0 and "unknown actor" in r.output and "Traceback" not in r.output
    out = tmp_path / "export.json"
    assert cli("classroom", "export", str(db), "-o", str(out)).exit_code == 0
    r = cli("classroom", "import", str(out), "--db", str(tmp_path / "again.sqlite"))
    assert r.exit_code == 0, r.output
    assert GameStore(tmp_path / "again.sqlite").export() == json.loads(out.read_text())
    # recode: the team's new code works, its old one no longer does, other codes are untouched
    russia_code, china_code, instructor_code = codes
    assert GameStore(db).check_code(china_code).actor == "china"
    r = cli("classroom", "recode", str(db), "china")
    assert r.exit_code == 0, r.output
    new_code = r.stdout.split()[-1]
    store = GameStore(db)
    assert new_code != china_code and store.check_code(new_code).actor == "china"
    assert store.check_code(china_code) is None
    assert store.check_code(russia_code).actor == "russia"
    assert store.check_code(instructor_code).role == "instructor"
    r = cli("classroom", "serve", str(tmp_path / "missing.sqlite"))
    assert r.exit_code != 0 and "no game" in r.output


def test_sqlite_file_is_a_plain_database(game, tmp_path):
    store, _, _ = game
    store.submit("russia", "hold", "x")
    c = sqlite3.connect(str(tmp_path / "g.sqlite"))
    assert c.execute("SELECT count(*) FROM log WHERE kind='submit'").fetchone()[0] == 1


def test_concurrent_submissions_are_each_stored_once(game):
    """Submissions from many threads share transactions (group commit); each accepted one
    is stored exactly once, the last one stands, and a closed turn refuses late ones."""
    import threading
    from collections import Counter

    store, _, _ = game
    accepted: list[str] = []
    lock = threading.Lock()

    def team(actor: str, k: int) -> None:
        for i in range(15):
            why = f"{actor}-{k}-{i}"
            store.submit(actor, "hold", why)
            with lock:
                accepted.append(why)

    threads = [
        threading.Thread(target=team, args=(a, k))
        for a in ("russia", "south_korea")
        for k in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    rows = [json.loads(r[5])["justification"] for r in store.rows() if r[2] == "submit"]
    assert Counter(rows) == Counter(accepted) and len(rows) == 120
    last = {a: [w for w in rows if w.startswith(a)][-1] for a in ("russia", "south_korea")}
    assert {a: p.move.justification for a, p in store.state().pending.items()} == last
    stale = store.state()
    store.close_turn("hold")
    from summitsim.classroom.store import _Queued

    late = _Queued("russia", Move("russia", "hold", "late").to_dict(), stale.version, None)
    with pytest.raises(GameError, match="turn changed"):
        store._group_commit(late)
    assert "late" not in [json.loads(r[5]).get("justification") for r in store.rows()]
    assert store.state().turn == 2


def test_two_writers_on_one_file_never_see_database_is_locked(game, tmp_path):
    """Two stores on the same file (as two processes would be) write at once: SQLite's
    BEGIN IMMEDIATE and busy timeout make them take turns; nothing fails or is lost."""
    import threading

    a, _, _ = game
    b = GameStore(tmp_path / "g.sqlite")
    errors: list[BaseException] = []

    def work(store: GameStore, actor: str, k: int) -> None:
        try:
            for i in range(20):
                store.submit(actor, "hold", f"{actor}-{k}-{i}")
                if i % 5 == 0:
                    store.adjust("regional_tension", 1)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(st, actor, k))
        for k, (st, actor) in enumerate(
            [(a, "russia"), (b, "south_korea"), (a, "south_korea"), (b, "russia")]
        )
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    rows = [json.loads(r[5]) for r in a.rows() if r[2] == "submit"]
    assert len(rows) == 80 and len({r["justification"] for r in rows}) == 80
    assert len(b.state().events) == 16


# ----- several moves a turn, the after-action table, the class defaults ----------------------
def test_a_team_may_submit_a_set_of_moves(tmp_path):
    """Washington may take two moves a turn in cuba-1962, one per channel: the set is stored
    in one spelling (scenario order) and replayed as both moves; sets the rules forbid are
    refused. (pyongyang-2024's actors take one move a turn.)"""
    gdef = new_def("cuba-1962", ["united_states", "cuba"], seed=3, turns=4)
    create(tmp_path / "g.sqlite", gdef, deadline_minutes=5)
    store = GameStore(tmp_path / "g.sqlite")
    assert store.submit("united_states", "warn_publicly+step_up_surveillance", "both") == 1
    assert store.state().pending["united_states"].move.move == "step_up_surveillance+warn_publicly"
    for bad, why in [
        ("warn_publicly+take_to_un", "both diplomatic moves"),
        ("step_up_surveillance+warn_publicly+take_to_un", "at most 2 moves"),
        ("invade+warn_publicly", "not possible this turn"),  # only after an air strike
        ("warn_publicly+continue_construction", "no such move"),  # Moscow's move
        ("hold+step_up_surveillance", "no such move"),
    ]:
        with pytest.raises(GameError, match=why):
            store.submit("united_states", bad)
    with pytest.raises(GameError, match="one move a turn"):  # Havana takes one move a turn
        store.submit("cuba", "mobilise_militia+fire_on_overflights")
    store.close_turn("hold")
    acts = store.result(store.state())["turns"][1]["actions"]
    assert [a["move"] for a in acts if a["actor"] == "united_states"] == [
        "step_up_surveillance",
        "warn_publicly",
    ]


def test_after_action_rows_agree_when_the_ai_played_a_team():
    """A team that did not submit and was played by the AI: the row shows the move the AI
    played, says so once, and is not highlighted as a disagreement (it used to show the
    played move beside a different "AI would have chosen")."""
    gdef = new_def(SCEN, ["russia", "south_korea"], seed=1, turns=4)
    closed = [
        ClosedTurn(
            t,
            {
                "russia": Move("russia", "hold", "", "ai"),
                "south_korea": Move("south_korea", "hold", "we wait", "human"),
            },
        )
        for t in range(1, 5)
    ]
    result, rows = choices(gdef, closed)
    ai_rows = [r for r in rows if r["actor"] == "russia"]
    assert len(ai_rows) == 4 and all(r["same"] and r["by"] == "ai" for r in ai_rows)
    for r in ai_rows:
        played = [
            a["move"]
            for a in result["turns"][r["turn"]]["actions"]
            if a["actor"] == "russia" and a["by"] != "red_line"
        ]
        assert r["ai_move"] == r["move"] == ("+".join(m for m in played if m != "hold") or "hold")
    from summitsim.classroom.report import choices_html

    page = choices_html(rows)
    body = page.split("<tbody>")[1]
    trs = body.split("</tr>")[:-1]
    for tr, r in zip(trs, rows, strict=True):
        if r["actor"] == "russia":
            assert 'class="differs"' not in tr
            assert "(no submission: the AI played)" in tr and "(the AI played this turn)" in tr
    # every move by its name, never its id
    from _names import ids_of, visible_ids

    assert visible_ids(page, ids_of(gdef.loaded().spec)) == []


def test_new_game_defaults_follow_the_lesson_plan(tmp_path):
    """`classroom new` without --turns and --deadline: the lesson plan's 8 turns of 6
    minutes (fewer turns if the scenario has fewer)."""
    db = tmp_path / "a.sqlite"
    r = cli("classroom", "new", SCEN, "--teams", "russia", "--db", str(db))
    assert r.exit_code == 0, r.output
    assert "8 turns, 6 minutes a turn" in r.stdout
    store = GameStore(db)
    assert store.gdef.turns == 8 and store.deadline_minutes == 6
    db = tmp_path / "b.sqlite"
    r = cli("classroom", "new", "hanoi-2019", "--teams", "china", "--db", str(db), "--turns", "3")
    assert r.exit_code == 0 and GameStore(db).gdef.turns == 3
    db = tmp_path / "c.sqlite"
    r = cli("classroom", "new", SCEN, "--teams", "china", "--db", str(db), "--deadline", "0")
    assert r.exit_code == 0 and "no countdown" in r.stdout
