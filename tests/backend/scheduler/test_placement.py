"""The placement policies: heat-first, fastest, waiting limits, priority and fair sharing."""

from __future__ import annotations

from backend.scheduler.placement import FrameView, NodeView, Policy, heat_wait_s, order_frames, place


def node(
    node_id: str, room: float, setpoint: float = 20.0, overshoot: float = 0.0, speed: float = 1.0
) -> NodeView:
    return NodeView(
        node_id, room, setpoint, wants_heat=room < setpoint, predicted_overshoot_k=overshoot, speed=speed
    )


def frame(frame_id: int, *, waited: float = 0.0, account: int = 1, task: int = 1, **kw: object) -> FrameView:
    return FrameView(frame_id, task, account, frame_id, queued_for_s=waited, **kw)  # type: ignore[arg-type]


def test_heat_first_prefers_the_room_that_wants_heat_then_the_coolest() -> None:
    nodes = [node("warm", 21.0), node("cool", 18.5), node("cold", 16.0)]

    first = place([frame(1)], nodes)
    both = place([frame(1), frame(2)], nodes)

    assert [a.node_id for a in first] == ["cold"]
    assert [(a.node_id, a.heat_wanted) for a in both] == [("cold", True), ("cool", True)]


def test_a_frame_waits_for_heat_demand_then_runs_anyway_without_heat_credit() -> None:
    nodes = [node("warm", 21.0)]

    assert place([frame(1, waited=5.0)], nodes) == []
    late = place([frame(1, waited=31.0)], nodes)

    assert [(a.node_id, a.heat_wanted) for a in late] == [("warm", False)]


def test_a_room_predicted_to_overheat_is_avoided_while_another_node_can_take_the_frame() -> None:
    nodes = [node("hot-soon", 19.0, overshoot=4.0), node("ok", 19.5, overshoot=1.0)]
    after_wait = [node("hot-soon", 21.0, overshoot=4.0), node("mild", 22.0, overshoot=2.0)]

    assert [a.node_id for a in place([frame(1)], nodes)] == ["ok"]
    assert [a.node_id for a in place([frame(1, waited=60.0)], after_wait)] == ["mild"]


def test_a_deadline_shortens_the_wait_for_heat() -> None:
    urgent = frame(1, waited=1.0, deadline_in_s=10.0, estimated_runtime_s=5.0)

    assert heat_wait_s(urgent, 30.0) == 0.0
    assert heat_wait_s(frame(2), 30.0) == 30.0
    assert [a.node_id for a in place([urgent], [node("warm", 22.0)])] == ["warm"]


def test_fastest_ignores_heat() -> None:
    nodes = [node("cold-slow", 15.0, speed=1.0), node("warm-fast", 23.0, speed=2.0)]

    chosen = place([frame(1, policy=Policy.FASTEST)], nodes)

    assert [(a.node_id, a.heat_wanted) for a in chosen] == [("warm-fast", False)]


def test_higher_priority_goes_first() -> None:
    chosen = place([frame(1, priority=0, waited=100.0), frame(2, priority=5)], [node("cold", 15.0)])

    assert [a.frame_id for a in chosen] == [2]


def test_accounts_share_fairly_within_a_priority() -> None:
    frames = [frame(i, account=1, task=1, waited=100.0 - i) for i in range(1, 5)]
    frames += [frame(10 + i, account=2, task=2, waited=50.0 - i) for i in range(1, 3)]

    ordered = order_frames(frames, running_by_account={1: 0, 2: 0})
    busy_first = order_frames(frames, running_by_account={1: 3, 2: 0})

    assert [f.account_id for f in ordered] == [1, 2, 1, 2, 1, 1]
    assert [f.account_id for f in busy_first][:3] == [2, 2, 1]


def test_blocklisted_nodes_are_never_chosen_and_one_frame_per_node() -> None:
    nodes = [node("bad", 10.0), node("good", 18.0)]

    chosen = place([frame(1, blocked_nodes=frozenset({"bad"})), frame(2), frame(3)], nodes)

    assert {(a.frame_id, a.node_id) for a in chosen} == {(1, "good"), (2, "bad")}


def test_a_retried_frame_avoids_the_nodes_it_failed_on_while_another_is_free() -> None:
    retried = frame(1, waited=60.0, failed_nodes=frozenset({"coldest"}))

    elsewhere = place([retried], [node("coldest", 10.0), node("other", 21.0)])
    only_one_free = place([retried], [node("coldest", 10.0)])

    assert [(a.node_id, a.heat_wanted) for a in elsewhere] == [("other", False)]
    assert [a.node_id for a in only_one_free] == ["coldest"]
