import { trace, type TracerProvider } from '@opentelemetry/api';

/**
 * Whether the environment asks for traces: an OTLP endpoint is set (for every signal or for traces
 * only) and the SDK is not switched off. Without one nothing is started and the OpenTelemetry API
 * stays the no-op it is by default, so tracing then costs next to nothing.
 */
export function tracingRequested(env: NodeJS.ProcessEnv): boolean {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const disabled = ['true', '1'].includes((env.OTEL_SDK_DISABLED ?? '').toLowerCase());
  const exporterOff = (env.OTEL_TRACES_EXPORTER ?? '').split(',').map((name) => name.trim()).includes('none');
  return Boolean(endpoint) && !disabled && !exporterOff;
}

/**
 * Sends the spans still waiting in the SDK's batch now; resolves at once when no SDK runs. The
 * platform calls it as a service shuts down, so the last requests' spans are not lost.
 */
export async function flushTraces(): Promise<void> {
  const provider = trace.getTracerProvider() as TracerProvider & { getDelegate?: () => TracerProvider };
  const sdkProvider = (provider.getDelegate?.() ?? provider) as TracerProvider & { forceFlush?: () => Promise<void> };
  await sdkProvider.forceFlush?.();
}
