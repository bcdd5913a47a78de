"""A PettingZoo environment: outside agents (reinforcement learners, scripts) play actors.

``parallel_env(scenario=..., **options)`` is a PettingZoo ``ParallelEnv``; ``env(...)`` the
same game as an AEC env (``pettingzoo.utils.conversions.parallel_to_aec``). Needs the
optional ``rl`` extra: ``uv sync --extra rl`` or ``pip install 'summitsim[rl]'``.

The environment is a client of the engine's policy boundary and of nothing else: each agent
it drives plays through an :class:`AgentPolicy`, a policy like any other that returns, from
its :class:`~summitsim.engine.observation.Observation`, the move the environment was given
for that turn; the actors it does not drive are played by their scenario policy. Spaces,
masks and rewards are built from observations only.

- Agents: actor ids, in the scenario's order (``agents=[...]`` picks which actors are driven).
- Action: ``Discrete(n)`` over a fixed enumeration of every option the actor could ever have:
  hold (0), then each move, then (``moves_per_turn > 1``) each allowed set of moves (one per
  channel), as :func:`~summitsim.engine.observation.legal_options` lists them.
- Observation: ``{"observation": Box[0, 1], "action_mask": MultiBinary(n)}``. The vector holds
  each state slot (variables, then relations ``rel:A:B``) scaled to [0, 1] by its bounds, the
  fraction of turns played, and for each red line of the scenario (in order) whether the agent
  knows of it (1/0) and its belief that the owner follows through (0 if unknown; its own red
  lines: their credibility). The mask marks the options legal this turn (hold always is).
- Reward: the agent's payoff for the turn, as the engine's AI counts it: the change of its
  utility (its interests) over the turn, everything that happened in it included (moves,
  delayed effects, injects, red-line responses), minus the cost of its own moves (in
  ``infos[agent]["cost"]``). ``costs=False`` leaves the costs out: the plain utility change.
- Termination: every agent at the scenario's last turn (``turns=`` shortens or lengthens it);
  no truncation.
- An illegal (masked) action raises :class:`IllegalActionError` before the turn is played
  (``illegal="hold"`` plays hold instead and sets ``infos[agent]["illegal_action"]``).
- Consent: a driven actor asked to agree to another actor's move answers by ``consent=``:
  ``"worth"`` (if the move is worth its cost to it, as a student team consents in a classroom
  game), ``"always"``, ``"never"`` or a function ``(observation, action
  index) -> bool``.
- Negotiation: a driven actor that is a party to a deal answers by ``bargain=``: ``"ai"``
  (the AI negotiator answers for it: toward the Nash bargaining solution), ``"walk"`` (it
  walks away from every negotiation) or a function ``(observation, talks) -> Reply`` (see
  :mod:`summitsim.engine.deals`). A turn's negotiations are held before its observations
  are given (in ``reset``, and at the end of the previous ``step``), so the masks show the
  state after any deal; the turn's reward includes the deal's effects.
- Determinism: ``reset(seed=s)`` plays the run ``summitsim.run(scenario, seed=s)`` would play
  given the same moves; a ``reset()`` without a seed draws the next seed from the last one.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar

try:
    import gymnasium
    import numpy as np
    from gymnasium import spaces
    from pettingzoo import ParallelEnv
    from pettingzoo.utils.conversions import parallel_to_aec
except ImportError as exc:  # pragma: no cover - depends on what is installed
    raise ImportError(
        "summitsim.env needs the optional 'rl' extra: `uv sync --extra rl` or "
        "`pip install 'summitsim[rl]'`"
    ) from exc

from .api import release
from .engine.compiled import Compiled
from .engine.deals import Reply, Talks
from .engine.model import SummitModel
from .engine.observation import Observation, Option, legal_options, option_label
from .engine.predict import utility_change
from .engine.registry import default_scenario, get_compiled
from .engine.result import RunResult
from .policies.ai import would_consent
from .policies.base import Decision, PolicyInfo
from .policies.negotiate import Negotiator

ConsentRule = Callable[[Observation, int], bool]
BargainRule = Callable[[Observation, Talks], Reply]


class IllegalActionError(ValueError):
    """An agent chose an option its action mask ruled out."""


class AgentPolicy:
    """Plays one actor for the environment: ``decide`` returns the option the environment set
    for this turn. It sees nothing but its observations, like every other policy."""

    by = "agent"
    info = PolicyInfo(
        stochastic=False,
        uses_private_information=False,
        picklable=False,
        description="an outside agent, through the PettingZoo environment",
    )

    def __init__(
        self,
        consent: str | ConsentRule = "worth",
        illegal: str = "raise",
        bargain: str | BargainRule = "ai",
    ):
        self._consent = _consent_rule(consent)
        self._bargain = _bargain_rule(bargain)
        self.illegal = illegal
        self.pending: Option | None = None
        self.reset()

    def reset(self) -> None:
        """Forget the last turn (called by the environment before each turn)."""
        self.cost = 0.0
        self.illegal_action = False
        self.consents: list[tuple[str, str, bool]] = []  # (mover, move, answer)

    def decide(self, obs: Observation) -> Decision:
        option, self.pending = self.pending, None
        if option is None:
            raise RuntimeError(f"no action was given for {obs.actor.id} this turn")
        if option not in obs.options:
            if self.illegal != "hold":
                raise IllegalActionError(_illegal_message(obs, option))
            self.illegal_action, option = True, ()
        self.cost = sum(obs.view.cost(k) for k in option)
        return Decision(option=option, by=self.by)

    def bargain(self, obs: Observation, talks: Talks) -> Reply:
        return self._bargain(obs, talks)

    def consent(self, obs: Observation, action: int) -> bool:
        ok = bool(self._consent(obs, action))
        a = obs.compiled.actions[action]
        self.consents.append((obs.compiled.actors[a.actor].id, a.move, ok))
        return ok


def _bargain_rule(rule: str | BargainRule) -> BargainRule:
    if callable(rule):
        return rule
    if rule == "ai":
        return Negotiator().bargain
    if rule == "walk":
        return lambda obs, talks: Reply("walk", reason="the agent walks away")
    raise ValueError(f"bargain must be 'ai', 'walk' or a function, not {rule!r}")


def _consent_rule(rule: str | ConsentRule) -> ConsentRule:
    if callable(rule):
        return rule
    rules: dict[str, ConsentRule] = {
        "worth": lambda obs, action: would_consent(obs.view, obs.actor, action),
        "always": lambda obs, action: True,
        "never": lambda obs, action: False,
    }
    if rule not in rules:
        raise ValueError(f"consent must be one of {', '.join(rules)} or a function, not {rule!r}")
    return rules[rule]


def _illegal_message(obs: Observation, option: Option) -> str:
    legal = ", ".join(obs.label(o) for o in obs.options)
    return (
        f"{obs.actor.id} cannot {obs.label(option)!r} at turn {obs.turn} (legal now: {legal}); "
        "sample actions with the observation's action_mask, or pass illegal='hold'"
    )


class SummitParallelEnv(ParallelEnv):
    """A summitsim scenario as a PettingZoo ``ParallelEnv`` (see the module's docstring).

    ``scenario``: a bundled id or a path (default: the bundled default). ``agents``: the actor
    ids the environment drives (default: all). ``params``: scenario parameters. ``turns``:
    the number of turns (default: the scenario's). ``policies``: policies for actors it does
    not drive (default: their scenario policy). ``rationales``: keep the AI's reasons (the
    same moves either way; see :meth:`result`). ``costs``, ``illegal``, ``consent``, ``bargain``:
    see the
    module's docstring. ``render_mode``: ``"human"`` prints each turn as ``summitsim run``
    does, ``"ansi"`` returns that text."""

    metadata: ClassVar[dict[str, Any]] = {
        "name": "summitsim_v0",
        "render_modes": ["human", "ansi"],
        "is_parallelizable": True,
    }

    def __init__(
        self,
        scenario: str | Any | None = None,
        agents: Sequence[str] | None = None,
        params: Mapping[str, Any] | None = None,
        turns: int | None = None,
        policies: Mapping[str, Any] | None = None,
        rationales: bool = False,
        costs: bool = True,
        illegal: str = "raise",
        consent: str | ConsentRule = "worth",
        render_mode: str | None = None,
        bargain: str | BargainRule = "ai",
    ):
        c = get_compiled(scenario or default_scenario(), dict(params or {}))
        self.compiled: Compiled = c
        ids = [a.id for a in c.actors]
        chosen = set(ids if agents is None else agents)
        unknown = sorted(chosen - set(ids))
        if unknown:
            raise ValueError(f"unknown actors {unknown}; the scenario's actors are {ids}")
        if not chosen:
            raise ValueError("the environment must drive at least one actor")
        others = dict(policies or {})
        clash = sorted(chosen & set(others))
        if clash:
            raise ValueError(f"actors both driven and given a policy: {clash}")
        if turns is not None and int(turns) < 1:
            raise ValueError(f"turns must be at least 1, not {turns}")
        if illegal not in ("raise", "hold"):
            raise ValueError(f"illegal must be 'raise' or 'hold', not {illegal!r}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None, 'human' or 'ansi', not {render_mode!r}")
        self.possible_agents: list[str] = [i for i in ids if i in chosen]
        self.agents: list[str] = []
        self.render_mode = render_mode
        self.turns = c.turns if turns is None else int(turns)
        self.costs = costs
        self.rationales = rationales
        self._others = others
        self._index = {i: c.actor_index[i] for i in self.possible_agents}
        self._policies = {i: AgentPolicy(consent, illegal, bargain) for i in self.possible_agents}
        # Every option each actor could ever have, and its place in that enumeration.
        self._options: dict[str, tuple[Option, ...]] = {}
        self._position: dict[str, dict[Option, int]] = {}
        for i in self.possible_agents:
            actor = c.actors[self._index[i]]
            opts = legal_options(c, actor, actor.actions)
            self._options[i] = opts
            self._position[i] = {o: k for k, o in enumerate(opts)}
        self._lo = np.asarray(c.lo, dtype=np.float64)
        span = np.asarray(c.hi, dtype=np.float64) - self._lo
        self._span = np.where(span > 0, span, 1.0)
        n_obs = len(c.slots) + 1 + 2 * len(c.red_lines)
        self.observation_spaces = {
            i: spaces.Dict(
                {
                    "observation": spaces.Box(0.0, 1.0, (n_obs,), np.float32),
                    "action_mask": spaces.MultiBinary(len(self._options[i])),
                }
            )
            for i in self.possible_agents
        }
        self.action_spaces = {
            i: spaces.Discrete(len(self._options[i])) for i in self.possible_agents
        }
        self.state_space = spaces.Box(0.0, 1.0, (len(c.slots) + 1,), np.float32)
        self.model: SummitModel | None = None
        self._obs: dict[str, Observation] = {}
        self._seeds: random.Random | None = None
        self._before: list[float] = []  # the state before the coming turn's talks
        self.run_seed: int | None = None  # this episode's seed (of its SummitModel)

    # ----- spaces and labels ---------------------------------------------------------------
    def observation_space(self, agent: str) -> spaces.Dict:
        return self.observation_spaces[agent]

    def action_space(self, agent: str) -> spaces.Discrete:
        return self.action_spaces[agent]

    def options(self, agent: str) -> tuple[Option, ...]:
        """Every option ``agent`` could ever have, in action order (sets of action indices)."""
        return self._options[agent]

    def action_labels(self, agent: str) -> list[str]:
        """Each action's name: ``hold``, a move id, or move ids joined by ``+``."""
        return [option_label(self.compiled, o) for o in self._options[agent]]

    def action_of(self, agent: str, label: str | Option) -> int:
        """The action that takes ``label`` (``"hold"``, ``"buy_munitions"``, ``"a+b"``) or an
        option (a tuple of action indices)."""
        if isinstance(label, tuple):
            option = tuple(sorted(label))
            if option in self._position[agent]:
                return self._position[agent][option]
        else:
            labels = self.action_labels(agent)
            if label in labels:
                return labels.index(label)
        raise ValueError(f"{agent} has no action {label!r}; it has {self.action_labels(agent)}")

    def observation_names(self) -> list[str]:
        """What each entry of the observation vector is (the same for every agent): the slot
        names (variables, then ``rel:A:B``), ``turn``, then ``knows:<red line>`` and
        ``belief:<red line>`` for each red line."""
        c = self.compiled
        beliefs = [f"{k}:{rl.id}" for rl in c.red_lines for k in ("knows", "belief")]
        return [*c.slots, "turn", *beliefs]

    # ----- the episode ---------------------------------------------------------------------
    def reset(
        self, seed: int | None = None, options: Mapping[str, Any] | None = None
    ) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, dict[str, Any]]]:
        """Start a new run. ``options`` is accepted, as PettingZoo requires, and unused."""
        del options
        if seed is not None:
            self._seeds = random.Random(seed)
            self.run_seed = int(seed)
        else:
            if self._seeds is None:
                self._seeds = random.Random()
            self.run_seed = self._seeds.getrandbits(63)
        if self.model is not None:
            release(self.model)
        policies = {**self._others, **self._policies}
        self.model = SummitModel(
            self.compiled,
            seed=self.run_seed,
            turns=self.turns,
            policies=policies,
            collect=False,
            rationales=self.rationales,
        )
        for p in self._policies.values():
            p.reset()
        self.agents = list(self.possible_agents)
        self._talk()
        self._observe()
        if self.render_mode == "human":
            self.render()
        return self._encode_all(), self._infos()

    def step(
        self, actions: Mapping[str, Any]
    ) -> tuple[
        dict[str, dict[str, np.ndarray]],
        dict[str, float],
        dict[str, bool],
        dict[str, bool],
        dict[str, dict[str, Any]],
    ]:
        model = self.model
        if model is None:
            raise RuntimeError("call reset() before step()")
        if not self.agents:
            raise RuntimeError("the run is over: call reset() to start another")
        missing = [i for i in self.agents if i not in actions]
        extra = [i for i in actions if i not in self.agents]
        if missing or extra:
            raise ValueError(
                f"step() needs one action for each of {self.agents}"
                + (f"; missing {missing}" if missing else "")
                + (f"; not playing {extra}" if extra else "")
            )
        chosen = {i: self._option(i, actions[i]) for i in self.agents}  # raises before the turn
        for i, policy in self._policies.items():
            policy.reset()
            policy.pending = chosen[i]
        c = self.compiled
        before = self._before
        model.step()
        after = model.ctx.x
        changes = {s: v for s, (v, old) in enumerate(zip(after, before, strict=True)) if v != old}
        rewards = {}
        for i in self.agents:
            policy = self._policies[i]
            r = utility_change(c.actors[self._index[i]], before, changes)
            rewards[i] = float(r - policy.cost if self.costs else r)
        done = not model.running
        terminations = dict.fromkeys(self.agents, done)
        truncations = dict.fromkeys(self.agents, False)
        if not done:
            self._talk()
        self._observe()
        observations, infos = self._encode_all(), self._infos()
        if done:
            self.agents = []
        if self.render_mode == "human":
            self.render()
        return observations, rewards, terminations, truncations, infos

    def _talk(self) -> None:
        """Hold the next turn's negotiations now, so the observations and masks the agents
        act on show the state after any deal signed (the reward of the turn still counts
        it: ``_before`` is the state before the talks)."""
        assert self.model is not None
        self._before = list(self.model.ctx.x)
        if self.compiled.deals:
            self.model.negotiate()

    def _option(self, agent: str, action: Any) -> Option:
        try:
            k = int(action)
        except (TypeError, ValueError):
            raise ValueError(f"{agent}'s action must be an integer, not {action!r}") from None
        if k != action or not 0 <= k < len(self._options[agent]):
            raise ValueError(
                f"{agent}'s action must be an integer in 0..{len(self._options[agent]) - 1}, "
                f"not {action!r}"
            )
        option = self._options[agent][k]
        obs = self._obs[agent]
        # With illegal="hold" the agent's policy plays hold instead, and says so in the infos.
        if option not in obs.options and self._policies[agent].illegal != "hold":
            raise IllegalActionError(_illegal_message(obs, option))
        return option

    def _observe(self) -> None:
        assert self.model is not None
        self._obs = {i: self.model.observe(self._index[i]) for i in self.possible_agents}

    # ----- what agents see -----------------------------------------------------------------
    def _encode_all(self) -> dict[str, dict[str, np.ndarray]]:
        return {i: self._encode(i, self._obs[i]) for i in self.possible_agents}

    def _encode(self, agent: str, obs: Observation) -> dict[str, np.ndarray]:
        c = self.compiled
        n = len(c.slots)
        vec = np.zeros(n + 1 + 2 * len(c.red_lines), dtype=np.float64)
        vec[:n] = (np.fromiter(obs.state.values(), np.float64, n) - self._lo) / self._span
        vec[n] = (obs.turn - 1) / self.turns
        for rl in obs.red_lines:
            vec[n + 1 + 2 * rl.index] = 1.0
            vec[n + 2 + 2 * rl.index] = rl.belief
        mask = np.zeros(len(self._options[agent]), dtype=np.int8)
        position = self._position[agent]
        for option in obs.options:
            mask[position[option]] = 1
        return {"observation": np.clip(vec, 0.0, 1.0).astype(np.float32), "action_mask": mask}

    def _infos(self) -> dict[str, dict[str, Any]]:
        """Per agent: ``turn`` (turns played), ``moves`` (everyone's moves last turn, as
        ``(actor id, move id, status)``), ``cost`` (of its own moves), ``consents`` (the
        moves it was asked to agree to, and its answers, as ``(actor id, move id, bool)``),
        ``illegal_action``."""
        out = {}
        for i in self.possible_agents:
            obs, policy = self._obs[i], self._policies[i]
            out[i] = {
                "turn": obs.turn - 1,
                "moves": obs.seen,
                "cost": float(policy.cost),
                "consents": tuple(policy.consents),
                "illegal_action": policy.illegal_action,
            }
        return out

    def state(self) -> np.ndarray:
        """The whole state, each slot scaled to [0, 1] by its bounds, and the turn fraction."""
        if self.model is None:
            raise RuntimeError("call reset() first")
        x = (np.asarray(self.model.ctx.x, dtype=np.float64) - self._lo) / self._span
        vec = np.append(x, self.model.ctx.turn / self.turns)
        return np.clip(vec, 0.0, 1.0).astype(np.float32)

    # ----- people ----------------------------------------------------------------------------
    def result(self) -> RunResult:
        """The run so far, as ``summitsim.run`` returns it (rationales with
        ``rationales=True``)."""
        if self.model is None:
            raise RuntimeError("call reset() first")
        return self.model.result()

    def render(self) -> str | None:
        if self.render_mode is None:
            gymnasium.logger.warn("render() called without a render_mode (use 'human' or 'ansi')")
            return None
        from .cli.narrate import console, print_turn

        if self.model is None:
            raise RuntimeError("call reset() first")
        turn = self.model.ctx.turn
        with console().capture() as captured:
            if turn:
                print_turn(self.result(), turn)
            else:
                meta = self.compiled.spec.meta
                console().print(f"[bold]{meta.title}[/bold] · seed {self.run_seed}")
        text = captured.get()
        if self.render_mode == "human":
            print(text, end="")
            return None
        return text

    def close(self) -> None:
        if self.model is not None:
            release(self.model)
            self.model = None
        self.agents = []


def parallel_env(scenario: str | Any | None = None, **options: Any) -> SummitParallelEnv:
    """A scenario as a PettingZoo ``ParallelEnv`` (options: see :class:`SummitParallelEnv`)."""
    return SummitParallelEnv(scenario, **options)


def raw_env(scenario: str | Any | None = None, **options: Any) -> Any:
    """The same game as a PettingZoo AEC env: agents act one after another in the scenario's
    order, and the turn is played, simultaneously, when the last has acted."""
    return parallel_to_aec(parallel_env(scenario, **options))


def env(scenario: str | Any | None = None, **options: Any) -> Any:
    """A scenario as a PettingZoo AEC env (``parallel_to_aec``, which adds PettingZoo's
    ``OrderEnforcingWrapper``). Out-of-range and masked actions raise the environment's own
    errors, which name the agent, the turn and the legal options, so no assertion wrapper is
    added."""
    return raw_env(scenario, **options)


__all__ = [
    "AgentPolicy",
    "IllegalActionError",
    "SummitParallelEnv",
    "env",
    "parallel_env",
    "raw_env",
]
