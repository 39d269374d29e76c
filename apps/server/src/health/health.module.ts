import { Global, Module } from '@nestjs/common';
import { BrokerState } from './broker-state.js';
import { HealthController } from './health.controller.js';

@Global()
@Module({
  controllers: [HealthController],
  providers: [BrokerState],
  exports: [BrokerState],
})
export class HealthModule {}
