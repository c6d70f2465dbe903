"""Which frames a run computes: exactly what the asked range depends on, resumed where it can."""

from __future__ import annotations

from app.tracking_plan import passes_for, plan_object

W = 16  # SAM 2 / EdgeTAM memory window


def _plan(needed, covered=(), rows=None, prompted=(40,), n=100, direction="both"):
    specs = passes_for(direction, list(prompted), n, W)
    stored = rows or {}
    plan = plan_object(
        1,
        specs,
        set(needed),
        set(covered).__contains__,
        lambda name: stored.get(name, set()),
        set(prompted),
        W,
    )
    frames = {
        name: [s for s in specs if s.name == name][0].frames[st.start : st.stop + 1]
        for name, st in plan.items()
    }
    return plan, frames


def test_range_before_the_prompt_needs_the_backward_pass_and_the_forward_head_only() -> None:
    plan, frames = _plan(range(0, 10))
    # frame 39 reads the memory/object pointers of 40-54; nothing after 54 is computed
    assert frames["fwd"] == tuple(range(40, 55))
    assert frames["bwd"] == tuple(range(39, -1, -1))


def test_range_after_the_prompt_needs_only_the_forward_pass_up_to_its_end() -> None:
    plan, frames = _plan(range(50, 60))
    assert frames == {"fwd": tuple(range(40, 60))}


def test_covered_frames_are_not_recomputed_and_a_pass_resumes_from_stored_memory() -> None:
    covered = range(40, 61)
    rows = {"fwd": set(range(41, 61))}
    plan, frames = _plan(range(0, 100), covered=covered, rows=rows)
    assert frames["fwd"] == tuple(range(61, 100))
    assert plan["fwd"].restore == {"fwd": list(range(46, 61))}  # the 15 frames 61 reads
    assert frames["bwd"] == tuple(range(39, -1, -1))


def test_without_stored_memory_a_pass_restarts_at_its_anchor() -> None:
    plan, frames = _plan(range(0, 100), covered=range(40, 61), rows={"fwd": set(range(55, 61))})
    # frame 41 reads only the prompted frame 40, which is recomputed from its prompt
    assert frames["fwd"] == tuple(range(41, 100)) and plan["fwd"].restore == {}


def test_a_pass_resumes_at_its_last_checkpoint_before_the_gap() -> None:
    # memory was stored for the window behind frame 53 (a checkpoint), frames 53-60 since
    plan, frames = _plan(range(0, 100), covered=range(40, 61), rows={"fwd": set(range(38, 53))})
    assert frames["fwd"] == tuple(range(53, 100))
    assert plan["fwd"].restore == {"fwd": list(range(41, 53))}


def test_backward_resume_restores_its_own_memory_and_the_forward_head() -> None:
    covered = list(range(25, 100))
    rows = {"fwd": set(range(41, 55)), "bwd": set(range(25, 40))}
    plan, frames = _plan(range(0, 100), covered=covered, rows=rows)
    assert "fwd" not in plan
    assert frames["bwd"] == tuple(range(24, -1, -1))
    assert plan["bwd"].restore == {"bwd": list(range(39, 24, -1)), "fwd": list(range(41, 55))}


def test_nothing_missing_means_nothing_to_do() -> None:
    plan, _ = _plan(range(0, 10), covered=range(0, 100))
    assert plan == {}
