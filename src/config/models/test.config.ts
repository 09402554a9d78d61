import { ModelServiceConfig } from '../model-config';

/**
 * `test`: the service seed task 1.1 validates with (`systemctl start citadel-llm@test.service`):
 * the common shape over the simulated engine, small limits, its own ports; disabled, so `serve`
 * and the gateway leave it out unless it is named.
 */
export class TestServiceConfig extends ModelServiceConfig {}
