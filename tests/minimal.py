"""A small, hand-checkable scenario used by unit tests (text, so tests can break it)."""

MINIMAL = """\
meta:
  id: tiny
  title: Tiny
  summary: Two actors and one variable.
  start_date: "2024-01-01"
  turns: 3
  sources:
    - {id: none, title: Made up for tests}
parameters:
  cred:
    description: credibility of b's red line
    default: 1.0
    range: [0.0, 1.0]
  gain:
    description: what a's push is worth
    default: 10
    range: [0, 50]
variables:
  v:
    description: a number
    initial: 50
    bounds: [0, 100]
  w:
    description: another number
    initial: 0
    bounds: [0, 100]
relations:
  - between: [a, b]
    initial: 0.0
actors:
  a:
    name: Alpha
    description: pushes v up
    profile: {rationality: inf, foresight: 1}
    interests:
      - {kind: raise, variable: v, weight: 1, description: more v}
    briefing: {public: push}
  b:
    name: Beta
    description: punishes pushes
    profile: {rationality: inf, foresight: 1}
    interests:
      - {kind: lower, variable: v, weight: 1, description: less v}
    briefing: {public: guard}
moves:
  push:
    name: Push
    description: raise v
    by: a
    escalation: 4
    effects:
      - {variable: v, delta: gain}
  punish:
    name: Punish
    description: lower v a lot
    by: b
    cost: 5
    escalation: 12
    effects:
      - {variable: v, delta: -30}
red_lines:
  no_push:
    owner: b
    description: any push
    trigger: "did(a, push)"
    credibility: cred
    response:
      description: punish
      moves: [punish]
outcomes:
  pushed:
    description: a pushed
    expr: "did_ever(a, push)"
    type: bool
  v_end:
    description: final v
    expr: v
    type: number
"""
