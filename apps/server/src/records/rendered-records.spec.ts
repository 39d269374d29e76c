import { RenderedRecords } from './rendered-records.js';

/** RenderedRecords over the given record objects, laid out as the renderer lays them out. */
function rendered(objects: readonly string[], firstOffset: number): RenderedRecords {
  const starts = new Int32Array(objects.length + 1);
  let at = 0;
  objects.forEach((o, i) => {
    starts[i] = at;
    at += Buffer.byteLength(o) + 1;
  });
  starts[objects.length] = at;
  const offsets = Float64Array.from(objects, (_, i) => firstOffset + i);
  return new RenderedRecords(Buffer.from(objects.map((o) => `${o},`).join('')), starts, offsets, firstOffset + objects.length);
}

describe('RenderedRecords', () => {
  const records = rendered(['{"offset":5,"value":1}', '{"offset":6,"value":"é ✓"}', '{"offset":7,"value":null}'], 5);

  it('builds SSE events: the id around each record offset + 1, the data line with the record after its opening brace', () => {
    const events = records.eventsFor('id: 0:', ',1:9\ndata: {"topic":"t","partition":0,', 1, 3).toString('utf8');
    expect(events).toBe(
      'id: 0:7,1:9\ndata: {"topic":"t","partition":0,"offset":6,"value":"é ✓"}\n\n' + 'id: 0:8,1:9\ndata: {"topic":"t","partition":0,"offset":7,"value":null}\n\n',
    );
    for (const event of events.split('\n\n').slice(0, -1)) {
      expect(JSON.parse(event.split('\ndata: ')[1]!)).toMatchObject({ topic: 't', partition: 0 });
    }
  });

  it('gives streams asking for the same events the same Buffer, and builds afresh for another id or range', () => {
    const first = records.eventsFor('id: 0:', '\ndata: {"topic":"t","partition":0,', 0, 2);
    expect(records.eventsFor('id: 0:', '\ndata: {"topic":"t","partition":0,', 0, 2)).toBe(first);
    const otherRange = records.eventsFor('id: 0:', '\ndata: {"topic":"t","partition":0,', 0, 1);
    expect(otherRange).not.toBe(first);
    expect(first.subarray(0, otherRange.length).equals(otherRange)).toBe(true);
    const otherId = records.eventsFor('id: 0:', ',2:4\ndata: {"topic":"t","partition":0,', 0, 1);
    expect(otherId.toString()).toBe('id: 0:6,2:4\ndata: {"topic":"t","partition":0,"offset":5,"value":1}\n\n');
  });

  it('builds one WebSocket frame per range and head, header included, shared by every socket asking for it', () => {
    const head = '{"type":"records","id":"s","topic":"t","partition":0,';
    const wire = records.frameFor(head, 0, 3, true);
    expect(records.frameFor(head, 0, 3, true)).toBe(wire);
    expect(wire[0]).toBe(0x81);
    // Payloads of 126..65535 bytes: 126, then the length as 16 bits (RFC 6455 5.2).
    const payload = wire[1] === 126 ? wire.subarray(4, 4 + wire.readUInt16BE(2)) : wire.subarray(2, 2 + wire[1]!);
    expect(4 + wire.readUInt16BE(2) === wire.length || 2 + wire[1]! === wire.length).toBe(true);
    expect(JSON.parse(payload.toString('utf8')).records.map((r: { offset: number }) => r.offset)).toEqual([5, 6, 7]);
  });
});
