import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ListValue } from '../../src/store/types/list.js';
import { seeded as prng } from '../support/seeded.js';

describe('ListValue ring buffer', () => {
  test('random operations match a plain array model', () => {
    const rand = prng(7);
    const list = new ListValue();
    let model: string[] = [];
    for (let step = 0; step < 20000; step++) {
      const op = Math.floor(rand() * 11);
      const v = String(Math.floor(rand() * 5));
      const i = Math.floor(rand() * (model.length + 1));
      switch (op) {
        case 0:
        case 1:
          list.pushHead(v);
          model.unshift(v);
          break;
        case 2:
        case 3:
          list.pushTail(v);
          model.push(v);
          break;
        case 4:
          assert.equal(list.popHead(), model.shift());
          break;
        case 5:
          assert.equal(list.popTail(), model.pop());
          break;
        case 6:
          list.insertAt(i, v);
          model.splice(i, 0, v);
          break;
        case 7:
          if (i < model.length) {
            list.removeAt(i);
            model.splice(i, 1);
          }
          break;
        case 8: {
          const limit = Math.floor(rand() * 3);
          const fromTail = rand() < 0.5;
          const removed = list.removeMatching(v, limit, fromTail);
          let expected = 0;
          const order = fromTail ? [...model.keys()].reverse() : [...model.keys()];
          const drop = new Set<number>();
          for (const k of order) {
            if (model[k] === v && (limit === 0 || expected < limit)) {
              drop.add(k);
              expected++;
            }
          }
          model = model.filter((_, k) => !drop.has(k));
          assert.equal(removed, expected);
          break;
        }
        case 9: {
          const n = Math.floor(rand() * 4);
          if (rand() < 0.5) {
            list.dropHead(n);
            model.splice(0, n);
          } else {
            list.dropTail(n);
            model.splice(Math.max(0, model.length - n), n);
          }
          break;
        }
        default:
          if (model.length > 0) {
            list.set(i % model.length, `s${v}`);
            model[i % model.length] = `s${v}`;
          }
      }
      assert.equal(list.length, model.length);
      if (step % 97 === 0) assert.deepEqual(list.toArray(), model);
    }
    assert.deepEqual([...list], model);
  });

  test('grows past its capacity and shrinks back after pops', () => {
    const list = new ListValue();
    for (let i = 0; i < 1000; i++) list.pushTail(String(i));
    assert.equal(list.at(999), '999');
    assert.equal(list.indexOf('500'), 500);
    for (let i = 0; i < 995; i++) list.popHead();
    assert.deepEqual(list.toArray(), ['995', '996', '997', '998', '999']);
    assert.equal(list.popTail(), '999');
    assert.equal(list.length, 4);
  });

  test('copy is independent and reports quicklist', () => {
    const a = ListValue.from(['x', 'y']);
    const b = a.copy();
    b.pushTail('z');
    a.set(0, 'changed');
    assert.deepEqual(a.toArray(), ['changed', 'y']);
    assert.deepEqual(b.toArray(), ['x', 'y', 'z']);
    assert.equal(b.encoding(), 'quicklist');
    assert.equal(b.type, 'list');
  });
});
