import { Type } from 'class-transformer';
import { IsDefined, ValidateIf, ValidateNested } from 'class-validator';
import { ModelServiceConfig, RealtimeSection } from '../model-config';

/** OpenChat-3.5 (seed 1.4): needs its `realtime` section (streaming cap, idle timeout, chunking). */
export class OpenChat35Config extends ModelServiceConfig {
  // The base class's @IsOptional() would skip every rule when the section is absent.
  @ValidateIf(() => true)
  @IsDefined({ message: 'is required for openchat-3.5 (streaming settings)' })
  @ValidateNested()
  @Type(() => RealtimeSection)
  declare realtime: RealtimeSection;
}
