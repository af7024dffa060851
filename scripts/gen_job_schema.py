#!/usr/bin/python3
"""Generates core/job_schema_table.inc: the field table of batch/v1 Job and every type nested in
it, as k8s.io/api and k8s.io/apimachinery declare them (Go field order, JSON names, omitempty,
pointers, Go type names). ktune's validator uses it to judge a trial template the way Katib's
typed conversion (runtime.DefaultUnstructuredConverter.FromUnstructured into batchv1.Job) does.

Usage (the sources are Go files of the tagged releases; nothing fetched is committed):
  git --git-dir=<kubernetes/api>/.git show v0.34.0:core/v1/types.go > core_types.go
  git --git-dir=<kubernetes/api>/.git show v0.34.0:batch/v1/types.go > batch_types.go
  git --git-dir=<kubernetes/apimachinery>/.git show v0.34.0:pkg/apis/meta/v1/types.go > meta_types.go
  scripts/gen_job_schema.py core_types.go batch_types.go meta_types.go > core/job_schema_table.inc
"""
import re
import sys

STRUCT_RE = re.compile(r'^type (\w+) struct \{\s*$')
NAMED_RE = re.compile(r'^type (\w+) (\S+)\s*$')
FIELD_RE = re.compile(r'^\s+(\w+)\s+([^\s`]+)\s+`json:"([^"]*)"')
EMBED_RE = re.compile(r'^\s+([\w.]+)\s+`json:"([^"]*)"')

# Types with their own JSON decoding (kept as written, like Katib's converter does).
OPAQUE = {'resource.Quantity', 'intstr.IntOrString', 'Time', 'MicroTime', 'Duration', 'FieldsV1',
          'metav1.Time', 'metav1.MicroTime', 'metav1.Duration', 'metav1.FieldsV1', 'runtime.RawExtension'}
INTS = {'int', 'int32', 'int64', 'uint', 'uint32', 'uint64', 'int8', 'int16', 'uint8', 'uint16'}


# Named types declared outside the parsed files.
EXTERNAL_NAMED = {'types.UID': 'string'}
# JSON of a zero value of an opaque struct type that has its own MarshalJSON.
OPAQUE_ZERO = {'Time': 'null', 'MicroTime': 'null', 'resource.Quantity': '"0"', 'intstr.IntOrString': '0',
               'Duration': '"0s"'}


def parse(files):
    structs, named = {}, {}
    for path, pkg in files:
        lines = open(path).read().split('\n')
        i = 0
        while i < len(lines):
            line = lines[i]
            m = STRUCT_RE.match(line)
            if m:
                name, fields = m.group(1), []
                i += 1
                depth = 1
                while i < len(lines) and depth > 0:
                    l = lines[i]
                    if l.strip().startswith('//'):
                        i += 1
                        continue
                    if re.match(r'^\}', l):
                        break
                    fm = FIELD_RE.match(l)
                    em = EMBED_RE.match(l)
                    if fm:
                        fields.append(('field', fm.group(1), fm.group(2), fm.group(3)))
                    elif em:
                        fields.append(('embed', em.group(1), em.group(1), em.group(2)))
                    i += 1
                structs.setdefault(name, (pkg, fields))
            else:
                m = NAMED_RE.match(line)
                if m and m.group(2) not in ('struct', 'interface'):
                    named.setdefault(m.group(1), (pkg, m.group(2)))
            i += 1
    return structs, named


def main():
    files = [(sys.argv[1], 'v1'), (sys.argv[2], 'v1'), (sys.argv[3], 'v1')]
    structs, named = parse(files)
    order, index = [], {}

    def strip(t):
        t = t.lstrip('*')
        for prefix in ('metav1.', 'corev1.', 'v1.', 'types.'):
            if t.startswith(prefix) and t[len(prefix):] in structs:
                return t[len(prefix):]
        return t

    def go_name(t):
        """Go's reflect name of a non-struct field type, as conversion errors print it."""
        t = t.lstrip('*')
        if t in INTS or t in ('string', 'bool', 'float64', 'float32'):
            return t
        if t.startswith('types.') or t.startswith('metav1.'):
            return t if t.startswith('types.') else 'v1.' + t[len('metav1.'):]
        if '.' in t:
            return t
        return 'v1.' + t

    def classify(t):
        """(kind, type name or None, go element type)."""
        pointer = t.startswith('*')
        base = t.lstrip('*')
        if base in OPAQUE:
            return 'kOpaque', None, ''
        if base.startswith('[]'):
            elem = base[2:].lstrip('*')
            if elem == 'byte':
                return 'kBytes', None, '[]uint8'
            e = strip(elem)
            if e in structs:
                return 'kStructList', e, ''
            r = resolve(elem)
            if r == 'string':
                return 'kStringList', None, go_name(elem)
            if r in INTS:
                return 'kIntList', None, go_name(elem)
            return 'kOpaque', None, ''
        if base.startswith('map['):
            key, _, value = base[4:].partition(']')
            if resolve(value) == 'string':
                return 'kStringMap', None, go_name(value)
            return 'kOpaque', None, ''
        s = strip(base)
        if s in structs:
            return 'kStruct', s, ''
        r = resolve(base)
        if r == 'string':
            return 'kString', None, go_name(base)
        if r in INTS:
            return 'kInt', None, go_name(base)
        if r == 'bool':
            return 'kBool', None, go_name(base)
        if r in ('float64', 'float32'):
            return 'kFloat', None, go_name(base)
        if r is not None and r != base:
            # a named list or map (e.g. ResourceList): classify what it names
            return classify(('*' if pointer else '') + r)
        return 'kOpaque', None, ''

    def resolve(t):
        t = t.lstrip('*')
        seen = 0
        while seen < 10:
            seen += 1
            if t in EXTERNAL_NAMED:
                return EXTERNAL_NAMED[t]
            if t in INTS or t in ('string', 'bool', 'float64', 'float32'):
                return t
            bare = t.split('.', 1)[1] if '.' in t and t.split('.', 1)[0] in ('metav1', 'types', 'v1', 'corev1') else t
            if bare in named:
                t = named[bare][1]
                continue
            return t
        return t

    def fields_of(name, seen=None):
        pkg, raw = structs[name]
        out = []
        for kind, fname, ftype, tag in raw:
            opts = tag.split(',')
            json_name = opts[0]
            if json_name == '-':
                continue
            if json_name == '':  # an embedded struct without a name is inlined
                inner = strip(ftype)
                if inner in structs:
                    out.extend(fields_of(inner))
                continue
            out.append((json_name, ftype, opts))
        return out

    def visit(name):
        if name in index:
            return
        index[name] = len(order)
        order.append(name)
        for json_name, ftype, opts in fields_of(name):
            k, t, _ = classify(ftype)
            if t:
                visit(t)

    visit('Job')
    print('// Generated by scripts/gen_job_schema.py from k8s.io/api v0.34.0 (core/v1, batch/v1) and')
    print('// k8s.io/apimachinery v0.34.0 (meta/v1). Do not edit by hand; regenerate instead.')
    print('// Every type reachable from batch/v1 Job, fields in Go declaration order.')
    print('// clang-format off')
    fields = []
    types = []
    for name in order:
        first = len(fields)
        for json_name, ftype, opts in fields_of(name):
            k, t, go = classify(ftype)
            pointer = ftype.startswith('*')
            base = ftype.lstrip('*').replace('metav1.', '')
            absent = ''
            if pointer:
                emit = 'kPointer'
            elif 'omitzero' in opts:
                emit = 'kOmitEmpty'
            elif k == 'kStruct':
                emit = 'kAlways'  # Go's omitempty never omits a struct
            elif k == 'kOpaque' and base in OPAQUE_ZERO:
                emit, absent = 'kAlways', OPAQUE_ZERO[base]
            elif 'omitempty' in opts:
                emit = 'kOmitEmpty'
            else:
                emit = 'kAlways'
                absent = {'kString': '""', 'kInt': '0', 'kFloat': '0', 'kBool': 'false'}.get(k, 'null')
            ref = index[t] if t else -1
            absent_c = '"' + absent.replace('"', '\\"') + '"' if absent else 'nullptr'
            fields.append('  {"%s", JobKind::%s, %d, JobEmit::%s, %s, "%s"},' % (json_name, k, ref, emit, absent_c, go))
        types.append('  {"%s", %d, %d},' % (name, first, len(fields) - first))
    print('inline constexpr JobField kJobFields[] = {')
    print('\n'.join(fields))
    print('};')
    print('inline constexpr JobType kJobTypes[] = {')
    print('\n'.join(types))
    print('};')
    print('inline constexpr int kJobTypeIndex = %d;' % index['Job'])
    print('// clang-format on')


if __name__ == '__main__':
    main()
