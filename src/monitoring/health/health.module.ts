import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DiskHealthIndicator } from './disk.health';
import { EngineHealthIndicator } from './engine.health';
import { EventLoopHealthIndicator } from './event-loop.health';
import { MemoryHealthIndicator } from './memory.health';
import { ModelHealthService } from './model-health.service';
import { ThrottleHealthIndicator } from './throttle.health';

/**
 * Terminus with the models' health indicators. Its own failure log is off: a failing check is
 * answered (503, naming the check) on every probe, and ModelHealthService's callers log changes.
 */
@Module({
  imports: [TerminusModule.forRoot({ logger: false })],
  providers: [EngineHealthIndicator, MemoryHealthIndicator, EventLoopHealthIndicator, DiskHealthIndicator, ThrottleHealthIndicator, ModelHealthService],
  exports: [ModelHealthService],
})
export class MonitoringHealthModule {}
