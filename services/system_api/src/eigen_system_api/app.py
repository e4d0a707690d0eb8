"""Composition root of system-api."""

from __future__ import annotations

from eigen.api.v1 import compilation_pb2_grpc, device_pb2_grpc, job_pb2_grpc
from eigen.compiler.v1 import compiler_pb2_grpc
from eigen.kernel.v1 import kernel_pb2_grpc
from eigen_common.channel import create_channel
from eigen_common.server import App, ServiceBinding
from eigen_system_api.auth import ApiKeyAuthenticator
from eigen_system_api.servicer import CompilationServicer, DeviceServicer, Edge, JobServicer
from eigen_system_api.settings import SystemApiSettings


def build(settings: SystemApiSettings, auth: ApiKeyAuthenticator | None = None) -> App:
    """Wire authenticator, channels and servicers from settings; channels close on stop."""
    auth = auth or ApiKeyAuthenticator.from_file(settings.api_keys_file)
    edge = Edge(auth, settings)
    kch = create_channel(settings.kernel_address, settings.max_message_bytes)
    cch = create_channel(settings.compiler_address, settings.max_message_bytes)
    kernel = kernel_pb2_grpc.KernelGatewayServiceStub(kch)
    compiler = compiler_pb2_grpc.CompilationServiceStub(cch)

    async def close() -> None:
        for ch in (kch, cch):
            await ch.close(None)

    return App(
        service=settings.service_name,
        settings=settings,
        bindings=[
            ServiceBinding(
                JobServicer(edge, kernel),
                job_pb2_grpc.add_JobServiceServicer_to_server,
                "eigen.api.v1.JobService",
            ),
            ServiceBinding(
                DeviceServicer(edge, kernel),
                device_pb2_grpc.add_DeviceServiceServicer_to_server,
                "eigen.api.v1.DeviceService",
            ),
            ServiceBinding(
                CompilationServicer(edge, compiler),
                compilation_pb2_grpc.add_CompilationServiceServicer_to_server,
                "eigen.api.v1.CompilationService",
            ),
        ],
        on_stopping=[close],
    )
