/** assignSlots as a pure unit: which speaker each of a subscriber's slots carries. */
import t from 'tap';
import { assignSlots } from '../../src/speakers/assignSlots';

t.test('empty slots take the most active speakers in order', async (t) => {
  t.same(assignSlots(['', '', ''], ['a', 'b', 'c']), ['a', 'b', 'c']);
  t.same(assignSlots(['', '', ''], ['a']), ['a', '', ''], 'fewer speakers than slots: the rest stay empty');
});

t.test('speakers trading places swap nothing', async (t) => {
  t.same(assignSlots(['a', 'b', 'c'], ['c', 'a', 'b']), ['a', 'b', 'c']);
});

t.test('a speaker who fell out is replaced in that slot only', async (t) => {
  t.same(assignSlots(['a', 'b', 'c'], ['d', 'a', 'c']), ['a', 'd', 'c']);
  t.same(assignSlots(['a', 'b', 'c'], ['e', 'd', 'a']), ['a', 'e', 'd'], 'two replaced: the most active goes to the first free slot');
});

t.test('nobody new: slots keep their sources (never emptied)', async (t) => {
  t.same(assignSlots(['a', 'b'], []), ['a', 'b']);
  t.same(assignSlots(['a', 'b'], ['b']), ['a', 'b']);
});

t.test('a parked slot (no source) takes a free speaker', async (t) => {
  t.same(assignSlots(['', 'b'], ['b', 'c']), ['c', 'b']);
});
