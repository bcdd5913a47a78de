import summitsim


def test_reference_run_has_outcomes():
    r = summitsim.run("pyongyang-2024", seed=1)
    assert r.n_turns == 24
    assert r.outcomes["partnership_signed"] is True
