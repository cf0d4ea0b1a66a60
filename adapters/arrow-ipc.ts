import { Builder } from 'flatbuffers';
import { Field, Schema, Table, tableToIPC } from 'apache-arrow';
import { Buffer as BufferMeta } from 'apache-arrow/fb/buffer';
import { FieldNode } from 'apache-arrow/fb/field-node';
import { Message } from 'apache-arrow/fb/message';
import { MessageHeader } from 'apache-arrow/fb/message-header';
import { MetadataVersion } from 'apache-arrow/fb/metadata-version';
import { RecordBatch } from 'apache-arrow/fb/record-batch';

/** One Arrow array's layout in a record batch: its field node and its buffers (depth first). */
export interface ArrayBuffers {
  length: number;
  nullCount: number;
  buffers: Uint8Array[];
  children?: ArrayBuffers[];
}

const CONTINUATION = 0xffffffff;
const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);
const pad8 = (n: number) => (n + 7) & ~7;

/**
 * Arrow IPC written straight from column buffers. apache-arrow's generic writer
 * re-encodes the schema and copies every buffer through its assembler for each
 * file; for the small record batches built per raw object that was most of the time
 * spent before parquet-wasm. The schema message is encoded once per table by
 * apache-arrow itself and reused; only each record batch's small flatbuffer header
 * is built here. A stream is the schema message, any number of record batch
 * messages (from any number of bodies) and the end marker.
 */
export class IpcStreamEncoder {
  readonly #schemaMessage: Uint8Array;

  constructor(fields: Field[]) {
    const empty = tableToIPC(new Table(new Schema(fields)), 'stream');
    // The empty table's stream is its schema message followed by the end marker.
    this.#schemaMessage = empty.subarray(0, empty.byteLength - EOS.byteLength);
  }

  /** One record batch message (header and body), to be joined into a stream by `stream`. */
  recordBatch(rows: number, columns: ArrayBuffers[]): Uint8Array {
    const nodes: ArrayBuffers[] = [];
    const visit = (a: ArrayBuffers) => {
      nodes.push(a);
      for (const c of a.children ?? []) visit(c);
    };
    columns.forEach(visit);
    const buffers = nodes.flatMap((n) => n.buffers);
    let bodyLength = 0;
    const offsets = buffers.map((b) => {
      const at = bodyLength;
      bodyLength += pad8(b.byteLength);
      return at;
    });

    const fb = new Builder(256 + 32 * buffers.length);
    RecordBatch.startNodesVector(fb, nodes.length);
    for (let i = nodes.length - 1; i >= 0; i--) FieldNode.createFieldNode(fb, BigInt(nodes[i]!.length), BigInt(nodes[i]!.nullCount));
    const nodesVector = fb.endVector();
    RecordBatch.startBuffersVector(fb, buffers.length);
    for (let i = buffers.length - 1; i >= 0; i--) BufferMeta.createBuffer(fb, BigInt(offsets[i]!), BigInt(buffers[i]!.byteLength));
    const buffersVector = fb.endVector();
    RecordBatch.startRecordBatch(fb);
    RecordBatch.addLength(fb, BigInt(rows));
    RecordBatch.addNodes(fb, nodesVector);
    RecordBatch.addBuffers(fb, buffersVector);
    const header = RecordBatch.endRecordBatch(fb);
    fb.finish(Message.createMessage(fb, MetadataVersion.V5, MessageHeader.RecordBatch, header, BigInt(bodyLength), 0));
    const meta = fb.asUint8Array();
    const metaLength = pad8(8 + meta.byteLength) - 8;

    const out = new Uint8Array(8 + metaLength + bodyLength);
    const view = new DataView(out.buffer);
    view.setUint32(0, CONTINUATION, true);
    view.setInt32(4, metaLength, true);
    out.set(meta, 8);
    const at = 8 + metaLength;
    for (let i = 0; i < buffers.length; i++) out.set(buffers[i]!, at + offsets[i]!);
    return out;
  }

  /** A whole IPC stream: the schema message, these record batches in order, the end marker. */
  stream(batches: readonly Uint8Array[]): Uint8Array {
    let length = this.#schemaMessage.byteLength + EOS.byteLength;
    for (const b of batches) length += b.byteLength;
    // Every byte is written below: no need to zero a buffer of many megabytes first.
    const out = Buffer.allocUnsafe(length);
    out.set(this.#schemaMessage, 0);
    let at = this.#schemaMessage.byteLength;
    for (const b of batches) {
      out.set(b, at);
      at += b.byteLength;
    }
    out.set(EOS, at);
    return out;
  }
}
