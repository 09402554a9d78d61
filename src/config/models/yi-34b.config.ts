import { ModelServiceConfig } from '../model-config';

/** Yi-34B-Chat: the common shape, no extras (values in DESIGN.md). */
export class Yi34BConfig extends ModelServiceConfig {}
