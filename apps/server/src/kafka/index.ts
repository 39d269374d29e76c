export { KafkaModule } from './kafka.module.js';
export { KafkaListener } from './kafka-listener.service.js';
export { kafkaListenerOptionsFrom, type KafkaListenerOptions } from './kafka-listener.options.js';
