"""Simulated session participants, independent of how their messages travel.

* :class:`DelegationAgent` — a delegation's Ed25519 key, enrollment and signed ballots
  (:class:`SignedBallot`, made for a :class:`RoundDefinition`; :func:`make_ballot` runs the
  same in a process pool);
* :class:`TellerAgent` — enrollment, the key ceremony (:meth:`TellerAgent.ceremony_step`),
  decryption shares after re-checking a round (:meth:`TellerAgent.decrypt`);
* :class:`PublicView` — the public log folded with the domain's ``evolve``, which both act on;
* :class:`Simulation` / :func:`run_scenario` — the in-process driver (secretariat + server
  role) that plays a :class:`Scenario` through ``SessionService`` on any event store;
* :class:`Entropy` — CSPRNG, or a seed for reproducible runs (tests and benchmarks only).
"""

from ballot.simulation.delegation import (
    BallotJob,
    DelegationAgent,
    RoundDefinition,
    SignedBallot,
    SimulationError,
    json_copy,
    make_ballot,
)
from ballot.simulation.driver import (
    Simulation,
    SimulationResult,
    export_lines,
    export_log,
    run_scenario,
)
from ballot.simulation.entropy import (
    SIMULATED_START,
    Clock,
    Entropy,
    SimulatedClock,
    code_digest,
    real_clock,
)
from ballot.simulation.scenario import RoundScript, Scenario
from ballot.simulation.teller import TELLER_REFUSALS, PublicView, TellerAgent, TellerRefusal

__all__ = [
    "SIMULATED_START",
    "TELLER_REFUSALS",
    "BallotJob",
    "Clock",
    "DelegationAgent",
    "Entropy",
    "PublicView",
    "RoundDefinition",
    "RoundScript",
    "Scenario",
    "SignedBallot",
    "SimulatedClock",
    "Simulation",
    "SimulationError",
    "SimulationResult",
    "TellerAgent",
    "TellerRefusal",
    "code_digest",
    "export_lines",
    "export_log",
    "json_copy",
    "make_ballot",
    "real_clock",
    "run_scenario",
]
