import { ModelServiceConfig } from '../model-config';

/** Mixtral-8x7B (seed 1.2): the common shape, no extras. */
export class Mixtral8x7BConfig extends ModelServiceConfig {}
