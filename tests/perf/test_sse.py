from evalscope.core.net.sse import SSEParser

STREAM = b'data: {"a":1}\n\ndata: {"b":2}\n\n: ping\n\ndata: [DONE]\n\n'


def test_whole_stream_in_one_piece():
    assert SSEParser().feed(STREAM) == [b'{"a":1}', b'{"b":2}', b"[DONE]"]


def test_every_split_point_gives_the_same_events():
    for cut in range(1, len(STREAM)):
        p = SSEParser()
        got = p.feed(STREAM[:cut]) + p.feed(STREAM[cut:])
        assert got == [b'{"a":1}', b'{"b":2}', b"[DONE]"], cut


def test_byte_by_byte_with_crlf():
    data = STREAM.replace(b"\n", b"\r\n")
    p = SSEParser()
    got = []
    for i in range(len(data)):
        got += p.feed(data[i : i + 1])
    assert got == [b'{"a":1}', b'{"b":2}', b"[DONE]"]


def test_multiline_data_joined_and_crlf_split_between_lines():
    p = SSEParser()
    got = p.feed(b"data: a\r") + p.feed(b"\ndata: b\r\n\r\n")
    assert got == [b"a\nb"]


def test_incomplete_tail_is_kept_and_flushed():
    p = SSEParser()
    assert p.feed(b'data: {"x"') == []
    assert p.feed(b":1}") == []
    assert p.flush() == [b'{"x":1}']


def test_fields_without_space_and_other_fields():
    p = SSEParser()
    assert p.feed(b"event: msg\nid: 3\ndata:{}\n\n") == [b"{}"]
