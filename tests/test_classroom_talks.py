"""Negotiating in a classroom game: the teams' replies as events of the game's log, replayed
into the talks (unit tests on tests/data/deal-split.yaml), and two teams negotiating
through the real server on 127.0.0.1 (to signature, and with a deadline that makes one
walk away)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from _classroom import served_game
from summitsim.classroom.game import (
    Answer,
    ClosedTurn,
    GameError,
    new_def,
    open_talks,
    redact,
    replay,
)
from summitsim.classroom.report import after_action
from summitsim.classroom.store import GameStore, create, import_game

DATA = Path(__file__).parent / "data" / "deal-split.yaml"


def gdef(humans=("a", "b")):
    return new_def(str(DATA), list(humans), seed=0)


def split(*answers: Answer) -> ClosedTurn:
    return ClosedTurn(1, {}, [], list(answers))


# ----- replay ---------------------------------------------------------------------------------
def test_the_open_turn_waits_for_the_team_whose_reply_is_due():
    g = gdef()
    ot = open_talks(g, [], [])
    assert ot.due is not None and ot.due.actor == "a" and ot.due.seq == 0
    assert ot.due.talks.table is None  # A opens
    assert [n["outcome"] for n in ot.negotiations] == ["open"]
    ot = open_talks(g, [], [Answer("split", "a", 0, "offer", ("7",))])
    assert ot.due is not None and ot.due.actor == "b" and ot.due.talks.table == (7,)
    assert ot.negotiations[0]["steps"][0]["terms"] == {"pot": "7"}
    ot = open_talks(
        g, [], [Answer("split", "a", 0, "offer", ("7",)), Answer("split", "b", 0, "accept")]
    )
    assert ot.due is None
    assert ot.negotiations[0]["outcome"] == "signed"
    assert ot.negotiations[0]["terms"] == {"pot": "7"}


def test_a_closed_turn_replays_the_stored_replies():
    ct = split(
        Answer("split", "a", 0, "offer", ("8",)),
        Answer("split", "b", 0, "offer", ("3",)),
        Answer("split", "a", 1, "accept"),
    )
    model = replay(gdef(), [ct])
    (neg,) = model.result().to_dict()["turns"][1]["negotiations"]
    assert neg["outcome"] == "signed" and neg["terms"] == {"pot": "3"}
    assert [(s["actor"], s["kind"]) for s in neg["steps"]] == [
        ("a", "offer"),
        ("b", "offer"),
        ("a", "accept"),
    ]
    assert model.ctx.x[model.compiled.slots.index("a_share")] == 3.0


@pytest.mark.parametrize(("missing", "outcome"), [("ai", "signed"), ("hold", "walked")])
def test_a_reply_missing_at_the_close_is_the_ais_or_a_walk(missing, outcome):
    """B never replied to A's opening offer: the AI replied for it, or it walked away."""
    ct = ClosedTurn(1, {}, [], [Answer("split", "a", 0, "offer", ("5",))], missing)
    (neg,) = replay(gdef(), [ct]).result().to_dict()["turns"][1]["negotiations"]
    assert neg["outcome"] == outcome
    b_steps = [s for s in neg["steps"] if s["actor"] == "b"]
    if missing == "ai":
        assert "the AI answered" in b_steps[0]["reason"]
    else:
        assert neg["walked_by"] == "b" and b_steps[0]["kind"] == "walk"


def test_with_one_team_the_ai_party_answers_at_once():
    g = gdef(["a"])
    ot = open_talks(g, [], [Answer("split", "a", 0, "offer", ("9",))])
    # B (the AI) countered at once; A's reply is due again
    assert ot.due is not None and ot.due.actor == "a" and ot.due.seq == 1
    steps = ot.negotiations[0]["steps"]
    assert [s["actor"] for s in steps] == ["a", "b"] and steps[1]["kind"] == "offer"


def test_a_game_without_deals_has_no_talks():
    g = new_def("taiwan-1996", ["united_states"], seed=0, turns=2)
    ot = open_talks(g, [], [])
    assert ot.due is None and ot.negotiations == []


def test_a_team_sees_its_own_talks_without_the_others_reasons():
    g = gdef(["a"])
    ct = ClosedTurn(1, {}, [], [Answer("split", "a", 0, "offer", ("9",))], "ai")
    result = replay(g, [ct]).result().to_dict()
    (neg,) = result["turns"][1]["negotiations"]
    assert any(s["reason"] for s in neg["steps"] if s["actor"] == "b")  # the AI's reasons
    (mine,) = redact(result, "a")["turns"][1]["negotiations"]
    assert all(s["reason"] == "" for s in mine["steps"] if s["actor"] == "b")
    assert set(mine["surplus"]) <= {"a"}


# ----- the store ----------------------------------------------------------------------------
@pytest.fixture
def store(tmp_path):
    create(tmp_path / "g.sqlite", gdef())
    return GameStore(tmp_path / "g.sqlite")


def test_replies_are_checked_and_stored_in_the_log(store):
    with pytest.raises(GameError, match="no reply is due from you"):
        store.reply("b", "split", 0, "offer", ["5"])
    with pytest.raises(GameError, match="no offer to accept"):
        store.reply("a", "split", 0, "accept")
    with pytest.raises(GameError, match="not one of"):
        store.reply("a", "split", 0, "offer", ["11"])
    with pytest.raises(GameError, match="a term for each issue"):
        store.reply("a", "split", 0, "offer", [])
    with pytest.raises(GameError, match="moved on"):
        store.reply("a", "split", 1, "offer", ["5"])
    with pytest.raises(GameError, match="accepting, making an offer"):
        store.reply("a", "split", 0, "sulk")
    store.reply("a", "split", 0, "offer", ["6"])
    with pytest.raises(GameError, match="no reply is due"):  # the same form sent twice
        store.reply("a", "split", 0, "offer", ["6"])
    store.reply("b", "split", 0, "accept")
    rows = [json.loads(r[5]) for r in store.rows() if r[2] == "reply"]
    assert [(r["actor"], r["kind"]) for r in rows] == [("a", "offer"), ("b", "accept")]
    store.close_turn()
    s = store.state()
    assert [a.kind for a in s.closed[0].answers] == ["offer", "accept"]
    (neg,) = store.result(s)["turns"][1]["negotiations"]
    assert neg["outcome"] == "signed" and neg["terms"] == {"pot": "6"}
    # undo reopens the turn with its replies; the talks end as before
    store.undo()
    _, ot = store.talks()
    assert ot.due is None and ot.negotiations[0]["terms"] == {"pot": "6"}
    # the log survives export and import
    copy = store.path.with_name("copy.sqlite")
    import_game(store.export(), copy)
    assert GameStore(copy).talks()[1].negotiations == ot.negotiations


def test_the_deadline_makes_the_due_team_walk_away(store):
    store.reply("a", "split", 0, "offer", ["9"])
    store.set_talks_deadline(10)
    _, ot = store.talks()
    assert ot.due is not None and ot.due.actor == "b"  # not yet
    with pytest.raises(GameError, match="minutes"):
        store.set_talks_deadline(-1)
    # the deadline, as if set a while ago, has passed
    store._event("talks_deadline", {"at": time.time() - 1})
    s, ot = store.talks()
    assert ot.due is None
    (neg,) = ot.negotiations
    assert neg["outcome"] == "walked" and neg["walked_by"] == "b"
    assert neg["steps"][-1]["reason"] == "the deadline passed with no reply"
    assert [a.by for a in s.answers] == ["human", "deadline"]
    with pytest.raises(GameError, match="no reply is due"):
        store.reply("b", "split", 0, "accept")


def test_a_paused_game_takes_no_reply_and_keeps_its_deadline(store):
    store._event("talks_deadline", {"at": time.time() - 1})
    store.pause(True)
    _, ot = store.talks()
    assert ot.due is not None and ot.due.actor == "a"  # paused: nobody walks
    with pytest.raises(GameError, match="paused"):
        store.reply("a", "split", 0, "walk")


def test_the_after_action_report_shows_each_negotiation(store):
    store.reply("a", "split", 0, "offer", ["9"])
    store.reply("b", "split", 0, "offer", ["2"])
    store.reply("a", "split", 1, "walk")
    store.close_turn()
    store.reply("a", "trade", 0, "offer", ["two", "none"])
    store._event("talks_deadline", {"at": time.time() - 1})
    store.close_turn()
    page = after_action(store.gdef, store.state().closed)
    assert "Negotiations" in page
    assert "Party A opens with A&#x27;s part of the pot: 9" in page
    assert "Party B counters with A&#x27;s part of the pot: 2" in page
    assert "No deal: Party A walked away." in page
    assert "Party B walks away — the deadline passed with no reply" in page
    assert "Party A (team), Party B (team)" in page


# ----- over HTTP ----------------------------------------------------------------------------
@pytest.fixture
def live(tmp_path):
    yield from served_game(tmp_path, DATA, ["a", "b"], seed=0, turns=4)


def talks_text(client, seen=None) -> str:
    r = client.talks_view(seen)
    assert r.status_code == 200, r.text[:300]
    return json.dumps(r.json()["response"]["t-talks"]["children"])


def test_two_teams_negotiate_to_signature_over_http(live):
    store, cl = live
    a, b, ins = cl["a"], cl["b"], cl["instructor"]
    # A is due: its page has the form (no offer yet), B's says whom it waits for
    text = talks_text(a)
    assert "Make the opening offer" in text and "t-deal-send" in text
    assert "worth +0.60 to you" in text  # a level of the pot, valued for A
    assert "Waiting for Party A to reply" in talks_text(b)
    assert "t-deal-send" not in talks_text(b)
    # B cannot reply while A's reply is due
    assert "no reply is due from you" in b.reply("split", 0, "offer", {"pot": "1"})[1]
    status, msg = a.reply("split", 0, "offer", {"pot": "8"})
    assert status == 200 and "your offer is on the table" in msg
    # B sees the offer with its worth to B (not A's), and the instructor sees it too
    text = talks_text(b)
    assert "Party A opens with A's part of the pot: 8" in text
    assert "-0.80" in text and "worth to you" in text.lower()
    assert "+0.80" not in text  # A's figure is not on B's page
    ins_text = json.dumps(ins.instructor_talks().json())
    assert "Party A opens with A's part of the pot: 8" in ins_text
    assert "Waiting for Party B to reply" in ins_text
    confirm = ins.instructor_view().json()["response"]["i-close-confirm"]["message"]
    assert "Party B's reply is due" in confirm
    # B counters, A accepts: signed
    assert "on the table" in b.reply("split", 0, "offer", {"pot": "4"})[1]
    assert "accepted" in a.reply("split", 1, "accept")[1]
    assert "Signed: A's part of the pot: 4" in talks_text(a)
    assert "Signed: A's part of the pot: 4" in json.dumps(ins.instructor_talks().json())
    # a reply sent again is refused
    assert "no reply is due" in a.reply("split", 1, "accept")[1]
    status, _ = ins.control("close")
    assert status == 200
    (neg,) = store.result(store.state())["turns"][1]["negotiations"]
    assert neg["outcome"] == "signed" and neg["terms"] == {"pot": "4"}
    # turn 2: A opens the two-issue trade; B's reply kinds are checked on the server
    assert "Ports for fish" in talks_text(a)
    a.reply("trade", 0, "offer", {"ports": "two", "fish": "some"})
    assert "Choose accept" in b.reply("trade", 0, "sulk")[1]
    assert "not one of" in b.reply("trade", 0, "offer", {"ports": "all", "fish": "all"})[1]


def test_the_instructors_deadline_makes_a_team_walk_over_http(live):
    store, cl = live
    a, b, ins = cl["a"], cl["b"], cl["instructor"]
    a.reply("split", 0, "offer", {"pot": "9"})
    # teams cannot set the deadline
    assert b.talks_deadline(1)[0] == 403
    status, msg = ins.talks_deadline(10)
    assert status == 200 and "must be done by" in msg
    assert "counts as walking away" in talks_text(b)
    assert "left)" in json.dumps(ins.instructor_talks().json())  # the instructor's countdown
    status, msg = ins.talks_deadline(None)
    assert status == 200 and "no deadline" in msg
    assert "counts as walking away" not in talks_text(b)
    status, msg = ins.talks_deadline(0.02)  # a second and a bit
    assert status == 200 and "must be done by" in msg
    time.sleep(1.5)
    text = talks_text(b)
    assert "Party B walks away" in text and "No deal: Party B walked away." in text
    assert "t-deal-send" not in text
    assert "no reply is due" in b.reply("split", 0, "accept")[1]
    ins.control("close")
    (neg,) = store.result(store.state())["turns"][1]["negotiations"]
    assert neg["outcome"] == "walked" and neg["walked_by"] == "b"
    assert neg["steps"][-1]["reason"] == "the deadline passed with no reply"


# ----- summitsim play -------------------------------------------------------------------------
def test_a_player_negotiates_in_the_terminal(tmp_path):
    """Party A opens the split at 6, accepts B's counter of 1, opens the trade with two
    ports for no fishing and walks away from B's counter; quits at turn 3 and resumes."""
    from typer.testing import CliRunner

    from summitsim.classroom.terminal import load_save
    from summitsim.cli import app

    save = tmp_path / "g.json"
    args = ["play", str(DATA), "--as", "a", "--save", str(save)]
    turn1 = "o\n6\na\n0\n\n"  # offer 6; accept the counter; hold, no reason
    turn2 = "o\n2\n\nw\n0\n\n"  # two ports (Enter keeps no fishing); walk away; hold
    r = CliRunner().invoke(app, args, input=turn1 + turn2 + "q\n")
    out = r.output
    assert r.exit_code == 0, out
    assert "Negotiation: The split, with Party B: round 1 of 6" in out
    assert "10  10: worth +1.00" in out and "6  6: worth +0.60" in out
    assert "Party A opens with A's part of the pot: 6" in out
    assert "The offer on the table, and its worth to you" in out
    assert "A's part of the pot: 1  +0.10" in out
    assert "In all +0.10 to you, against +0.00 if you walk away: better than no deal" in out
    assert "2  two ports: worth +0.60" in out and "2  full fishing: worth -0.20" in out
    assert "Fishing rights for B [0-2, Enter keeps 0]" in out  # a number, not the id "none"
    assert "Negotiation: The split (Party A, Party B) — Signed: A's part of the pot: 1." in out
    assert "Negotiation: Ports for fish (Party A, Party B) — No deal: Party A walked away." in out
    data = json.loads(save.read_text())
    answers = [[(a["kind"], a["terms"]) for a in t["answers"]] for t in data["turns"]]
    assert answers == [
        [("offer", ["6"]), ("accept", [])],
        [("offer", ["two", "none"]), ("walk", [])],
    ]
    # the save replays to the same talks without asking
    g, closed = load_save(data)
    result = replay(g, closed).result().to_dict()
    assert result["turns"][1]["negotiations"][0]["terms"] == {"pot": "1"}
    assert result["turns"][2]["negotiations"][0]["walked_by"] == "a"
    # resumed: only turns 3 and 4 are asked (B walks away from the supply talks)
    r = CliRunner().invoke(app, ["play", "--resume", str(save)], input="0\n\n0\n\n")
    assert r.exit_code == 0, r.output
    assert "Negotiation: The split" not in r.output and "Game over" in r.output
    assert len(json.loads(save.read_text())["turns"]) == 4


def test_the_player_is_asked_again_after_a_wrong_key(tmp_path):
    from typer.testing import CliRunner

    from summitsim.cli import app

    args = ["play", str(DATA), "--as", "a", "--save", str(tmp_path / "g.json")]
    r = CliRunner().invoke(app, args, input="a\no\n12\n5\nq\n")
    assert r.exit_code == 0, r.output
    assert "Please type o = make an offer or w." in r.output  # nothing to accept yet
    assert "Please type a number from 0 to 10." in r.output
    assert "Party A opens with A's part of the pot: 5" in r.output


def test_only_a_game_with_deals_has_the_negotiation_parts(tmp_path):
    """A game whose scenario has no deals serves the pages it served before."""
    scenarios = {"deals": (DATA, ["a"]), "none": ("taiwan-1996", ["united_states"])}
    for name, (scen, teams) in scenarios.items():
        folder = tmp_path / name
        folder.mkdir()
        gen = served_game(folder, scen, teams, seed=0, turns=2)
        _, cl = next(gen)
        team = cl[teams[0]].get("/_dash-layout").text
        deps = cl["instructor"].get("/_dash-dependencies").text
        ins = cl["instructor"].get("/_dash-layout").text
        assert ("t-talks" in team) == ("i-talks" in ins) == ("t-deal-send" in deps)
        assert ("t-talks" in team) is (name == "deals")
        gen.close()


def test_a_move_a_deal_makes_legal_is_on_the_menu_once_the_talks_are_over(tmp_path):
    """A move that needs what the open turn's deal gives is not offered (nor taken) while the
    talks go on, is offered and taken once they end in a signature, and is played at the
    close: the menu is worked out after the open turn's talks."""
    from summitsim.classroom.views import move_menu

    text = DATA.read_text().replace(
        "moves:\n  wait:",
        "moves:\n  spend:\n    name: Spend the pot\n    description: A spends its part\n"
        '    by: [a]\n    when: "a_share >= 5"\n  wait:',
    )
    path = tmp_path / "deal-gated.yaml"
    path.write_text(text)
    create(tmp_path / "g.sqlite", new_def(str(path), ["a", "b"], seed=0))
    store = GameStore(tmp_path / "g.sqlite")

    def offered() -> set[str]:
        model = store.menu_model(store.state())
        obs = model.observe(model.compiled.actor_index["a"])
        return {m.move for m in move_menu(model, obs) if m.available}

    assert "spend" not in offered()
    with pytest.raises(GameError):
        store.submit("a", "spend")
    store.reply("a", "split", 0, "offer", ["7"])
    assert "spend" not in offered()  # B's reply is due: nothing signed yet
    store.reply("b", "split", 0, "accept")
    assert "spend" in offered()
    store.submit("a", "spend", "we can afford it now")
    store.close_turn()
    (played,) = [a for a in store.result(store.state())["turns"][1]["actions"] if a["actor"] == "a"]
    assert (played["move"], played["status"]) == ("spend", "done")
