import { Type } from 'class-transformer';
import { IsDefined, ValidateIf, ValidateNested } from 'class-validator';
import { EfficiencySection, ModelServiceConfig } from '../model-config';

/** Phi-3-Mini (seed 1.5): needs its `efficiency` section (the throttle). */
export class Phi3MiniConfig extends ModelServiceConfig {
  // The base class's @IsOptional() would skip every rule when the section is absent.
  @ValidateIf(() => true)
  @IsDefined({ message: 'is required for phi-3-mini (efficiency settings)' })
  @ValidateNested()
  @Type(() => EfficiencySection)
  declare efficiency: EfficiencySection;
}
