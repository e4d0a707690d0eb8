import itertools

from eigen.api.v1 import job_pb2
from eigen_kernel import convert
from eigen_kernel.states import TERMINAL, TaskState, can_transition

# Golden table: seed 002 / SPEC §3.1. Changing it is a contract change.
GOLDEN = {
    "PENDING": "JOB_STATUS_COMPILING",
    "VALIDATING": "JOB_STATUS_COMPILING",
    "COMPILING": "JOB_STATUS_COMPILING",
    "QUEUED": "JOB_STATUS_QUEUED",
    "ALLOCATING": "JOB_STATUS_QUEUED",
    "EXECUTING": "JOB_STATUS_RUNNING",
    "COMPLETED": "JOB_STATUS_DONE",
    "FAILED": "JOB_STATUS_ERROR",
    "CANCELLED": "JOB_STATUS_CANCELLED",
    "TIMEOUT": "JOB_STATUS_TIMEOUT",
}


def test_task_state_to_job_status_golden_table():
    got = {s.value: job_pb2.JobStatus.Name(convert.status_of(s)) for s in TaskState}
    assert got == GOLDEN


def test_terminal_states_are_final():
    for t in TERMINAL:
        for s in TaskState:
            assert not can_transition(t, s)


def test_list_filter_maps_client_status_back_to_task_states():
    assert set(convert.task_states([job_pb2.JOB_STATUS_QUEUED])) == {
        TaskState.QUEUED,
        TaskState.ALLOCATING,
    }
    assert set(convert.task_states([job_pb2.JOB_STATUS_COMPILING])) == {
        TaskState.PENDING,
        TaskState.VALIDATING,
        TaskState.COMPILING,
    }


def test_pipeline_path_is_allowed_and_shortcuts_are_not():
    path = [
        TaskState.PENDING,
        TaskState.VALIDATING,
        TaskState.COMPILING,
        TaskState.QUEUED,
        TaskState.ALLOCATING,
        TaskState.EXECUTING,
        TaskState.COMPLETED,
    ]
    for a, b in itertools.pairwise(path):
        assert can_transition(a, b)
    assert not can_transition(TaskState.PENDING, TaskState.EXECUTING)
    assert not can_transition(TaskState.QUEUED, TaskState.COMPLETED)
