"""A document AppSync refuses before running it, refused locally in AppSync's words (local/appsync/validation.py
cites where each shape comes from): validation and syntax errors, introspection when it is off, the query depth
limit, and a document that selects far more resolvers than may run. Nothing runs for any of them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from gql import Client, GraphQLRequest
from gql.transport.exceptions import TransportQueryError
from gql.transport.requests import RequestsHTTPTransport

from local.launcher import LocalStackProcess, running_stack
from local.operations import GET_MESSAGES, SEND_MESSAGE
from tests.e2e.conftest import API_KEY, LocalApi


def refused(response: Any) -> list[dict[str, Any]]:
    """The errors of a document refused before it ran: HTTP 200, data null, each in AppSync's shape."""
    assert response.status == 200 and response.body["data"] is None, response.body
    return list(response.body["errors"])


def only(response: Any) -> dict[str, Any]:
    [error] = refused(response)
    return error


@pytest.mark.parametrize(
    ("query", "variables", "message", "at"),
    [
        ("{ nope }", None, "Validation error of type FieldUndefined: Field 'nope' in type 'Query' is undefined @ 'nope'", "nope"),
        (
            '{ getMessages(filter: {to: "a@example.com"}) { data { nope } } }',
            None,
            "Validation error of type FieldUndefined: Field 'nope' in type 'Message' is undefined @ 'getMessages/data/nope'",
            "nope",
        ),
        (
            '{ getMessages(filter: {to: "a@example.com"}, bogus: 1) { data { id } } }',
            None,
            "Validation error of type UnknownArgument: Unknown field argument bogus @ 'getMessages'",
            "bogus",
        ),
        ("{ getMessages { data { id } } }", None, "Validation error of type MissingFieldArgument: Missing field argument filter @ 'getMessages'", "getMessages"),
        (
            "query($f: String) { getMessages(filter: $f) { data { id } } }",
            {"f": "a@example.com"},
            "Validation error of type VariableTypeMismatch: Variable type 'String' doesn't match expected type 'MessageFilter!' @ 'getMessages'",
            "$f)",
        ),
        ('query($f: Nope) { getMessages(filter: {to: "a@example.com"}) { data { id } } }', None, "Validation error of type UnknownType: Unknown type Nope", "Nope"),
        ("{ getMessages(", None, "Invalid Syntax : offending token '<EOF>' at line 1 column 15", None),
        ("{ __typename } }", None, "Invalid Syntax : offending token '}' at line 1 column 16", "} }"),
    ],
)
def test_a_document_appsync_refuses_is_refused_in_its_words_and_shape(api: LocalApi, query: str, variables: Any, message: str, at: str | None) -> None:
    # (`at`: the text the error is located at, on the document's one line; None: its end.)
    column = (len(query) if at is None else query.index(at) + (2 if at == "} }" else 0)) + 1
    response = api.graphql(query, variables)
    errors = [error for error in refused(response) if "UnusedVariable" not in error["message"] and "never used" not in error["message"]]
    # AppSync's shape: no errorType, path null, locations with sourceName null
    assert errors == [{"path": None, "locations": [{"line": 1, "column": column, "sourceName": None}], "message": message}]


def test_a_required_variable_that_is_missing_is_refused_as_appsync_refuses_it(api: LocalApi) -> None:
    response = api.graphql(SEND_MESSAGE, {})
    assert only(response) == {"path": None, "locations": None, "message": "Variable 'input' has coerced Null value for NonNull type 'MessageInput!'"}


def test_a_refusal_appsync_has_no_published_shape_for_keeps_graphql_cores_message_marked_as_ours(api: LocalApi) -> None:
    # A variable declared and never used: AWS publishes no example of this refusal.
    response = api.graphql('query($unused: Int) { getMessages(filter: {to: "a@example.com"}) { data { id } } }')
    assert only(response) == {"path": None, "locations": [{"line": 1, "column": 7, "sourceName": None}], "message": "Variable '$unused' is never used.", "errorType": "ValidationError"}


@pytest.mark.parametrize(
    ("body", "message"),
    [(b"", "Request body is empty."), (b"meow", "Unable to parse GraphQL query."), (b"{}", "Unable to parse GraphQL query."), (b"[]", "Unable to parse GraphQL query.")],
)
def test_a_body_that_holds_no_graphql_request_gets_appsyncs_400(api: LocalApi, body: bytes, message: str) -> None:
    response = api.post("/graphql", body, {"x-api-key": api.api_key})
    assert (response.status, response.body) == (400, {"errors": [{"errorType": "MalformedHttpRequestException", "message": message}]})


# --- Introspection ------------------------------------------------------------------------------------


def gql_client(stack: LocalStackProcess, fetch_schema: bool) -> Client:
    transport = RequestsHTTPTransport(url=stack.graphql_url, headers={"x-api-key": stack.api_key}, timeout=60, retries=0)
    return Client(transport=transport, fetch_schema_from_transport=fetch_schema)


def test_with_introspection_on_by_default_a_gql_client_loads_the_schema_and_validates_against_it(api: LocalApi) -> None:
    with gql_client(api, fetch_schema=True) as session:
        assert session.client.schema is not None and session.client.schema.get_type("Message") is not None
        page = session.execute(GraphQLRequest(GET_MESSAGES, variable_values={"filter": {"to": "nobody.introspect@example.com"}}))
    assert page["getMessages"]["data"] == []


@pytest.fixture(scope="module")
def closed_api() -> Iterator[LocalStackProcess]:
    """A stack as stage and prod run AppSync: introspection off; and a small depth limit."""
    with running_stack(API_KEY, {"INTROSPECTION": "off", "QUERY_DEPTH_LIMIT": "2"}) as stack:
        yield stack


def test_with_introspection_off_an_introspection_query_fails_validation_as_in_appsync(closed_api: LocalStackProcess) -> None:
    errors = refused(closed_api.graphql("{ __schema { types { name } } }"))
    assert [error["message"] for error in errors] == [
        "Validation error of type FieldUndefined: Field 'types' in type '__Schema' is undefined @ '__schema/types'",
        "Validation error of type FieldUndefined: Field 'name' in type '__Type' is undefined @ '__schema/types/name'",
    ]
    assert closed_api.graphql("{ __typename }").body == {"data": {"__typename": "Query"}}


def test_with_introspection_off_a_gql_client_cannot_fetch_the_schema_as_against_a_deployed_api(closed_api: LocalStackProcess) -> None:
    with pytest.raises(TransportQueryError) as refusal, gql_client(closed_api, fetch_schema=True):
        pass
    assert "in type '__Schema' is undefined" in str(refusal.value)


# --- Query depth --------------------------------------------------------------------------------------


def test_a_document_deeper_than_the_limit_is_refused_before_anything_runs(closed_api: LocalStackProcess) -> None:
    # GIVEN QUERY_DEPTH_LIMIT=2, WHEN a send selects statusHistory { status } (depth 3)
    before = len(closed_api.outbox())
    response = closed_api.graphql(SEND_MESSAGE, {"input": {"to": "too.deep@example.com", "body": "x", "deliveryMethod": "EMAIL"}})
    # THEN it is refused in the shape of AppSync's refusals, at the field past the limit, and nothing was sent
    error = only(response)
    assert error["message"] == "maximum query depth exceeded 3 > 2" and error["path"] is None and "errorType" not in error
    assert error["locations"][0]["line"] > 1
    assert len(closed_api.outbox()) == before
    # AND a document within the limit runs
    within = closed_api.graphql("mutation($i: MessageInput!) { sendMessage(input: $i) { id deliveryStatus } }", {"i": {"to": "deep.enough@example.com", "body": "x", "deliveryMethod": "EMAIL"}})
    assert not within.errors and within.data["sendMessage"]["deliveryStatus"] == "ACCEPTED"


def test_depth_counts_through_fragments(closed_api: LocalStackProcess) -> None:
    query = "query { ...Q } fragment Q on Query { getMessages(filter: {to: \"a@example.com\"}) { ...P } } fragment P on PaginatedMessages { data { id } }"
    assert only(closed_api.graphql(query))["message"] == "maximum query depth exceeded 3 > 2"


def test_every_operation_the_clients_send_is_within_the_default_depth_limit(api: LocalApi) -> None:
    read = api.graphql(GET_MESSAGES, {"filter": {"to": "depth.default@example.com"}})
    assert not read.errors


# --- A flood of root fields ---------------------------------------------------------------------------


def test_a_document_of_hundreds_of_root_resolvers_is_refused_before_validation_and_runs_nothing(api: LocalApi) -> None:
    # GIVEN 200 aliased sendMessage selections, the last of them invalid
    fields = " ".join(f"m{index}: sendMessage(input: $input) {{ id }}" for index in range(200))
    query = f"mutation($input: MessageInput!) {{ {fields} last: sendMessage(input: $input) {{ nope }} }}"
    before = len(api.outbox())
    # WHEN it is posted
    response = api.graphql(query, {"input": {"to": "flood@example.com", "body": "x", "deliveryMethod": "EMAIL"}})
    # THEN it is refused at the first field past the limit, with AppSync's limit error, before validation (the
    # invalid field is not reported) and before execution (nothing sent)
    error = only(response)
    assert (error["errorType"], error["message"], error["path"]) == ("ResolverExecutionLimitReached", "Resolver invocation limit reached.", ["m1"])
    assert len(api.outbox()) == before
