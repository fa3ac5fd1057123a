/*
 * A C program that uses GraphMail exactly as the header documents: it is compiled against
 * include/graphmail.h, linked to the cdylib, and run by tests/c_abi.rs against the local
 * Graph emulator, natively and under valgrind (memcheck), where every string the library
 * returns must be freed exactly once and nothing may be read or written out of bounds.
 *
 * It covers every C function except graph_client_new_with_signer: client new/free, send,
 * batch, preview, token, the background send (start, progress, cancel, wait, free), sign-in,
 * string free, version; and their error paths (invalid JSON, invalid messages, NULL arguments).
 *
 * usage: send_mail CONFIG_JSON FROM TO ATTACHMENT_PATH
 *
 * Built with -DGRAPHMAIL_SELFTEST_BUGS it instead makes two mistakes on purpose (a string it
 * never frees, and a read of a freed string), so the test can check that valgrind reports them.
 */
#include "graphmail.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#ifdef GRAPHMAIL_SELFTEST_BUGS
/* Deliberate mistakes for tests/c_abi.rs: valgrind must report both. */
int main(void) {
    char *leaked = NULL;
    graph_send_mail(NULL, "{}", &leaked); /* error JSON, never freed: definitely lost */
    leaked = NULL;

    char *freed = NULL;
    graph_send_mail(NULL, "{}", &freed);
    graph_string_free(freed);
    volatile char first = freed[0]; /* invalid read of a freed block */
    (void)first;
    printf("selftest done\n");
    return 0;
}
#else

static int passed = 0;
static int failed = 0;
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;

#define CHECK(cond, what)                                                     \
    do {                                                                      \
        pthread_mutex_lock(&count_lock);                                      \
        if (cond) {                                                           \
            passed++;                                                         \
        } else {                                                              \
            failed++;                                                         \
            fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, (what));  \
        }                                                                     \
        pthread_mutex_unlock(&count_lock);                                    \
    } while (0)

/* Whether a returned JSON string holds a fragment (a NULL string holds nothing). */
static int has(const char *json, const char *fragment) {
    return json != NULL && strstr(json, fragment) != NULL;
}

static graph_client *client = NULL;
static char message[2048];
static char thread_message[512];

static void *send_from_thread(void *arg) {
    (void)arg;
    for (int i = 0; i < 5; i++) {
        char *result = NULL;
        graph_status st = graph_send_mail(client, thread_message, &result);
        CHECK(st == GRAPH_STATUS_OK, result ? result : "graph_send_mail from a thread");
        graph_string_free(result);
    }
    return NULL;
}


/* Config errors: a status, a NULL client and error JSON with a stable code. */
static void config_errors(const char *config) {
    graph_client *bad = (graph_client *)0x1;
    char *error = NULL;
    graph_status st = graph_client_new("{\"tenantId\":", &bad, &error);
    CHECK(st == GRAPH_STATUS_INVALID_ARGUMENT, "invalid JSON config is GRAPH_STATUS_INVALID_ARGUMENT");
    CHECK(bad == NULL, "client_out is NULL on failure");
    CHECK(has(error, "\"code\":\"InvalidJson\""), "error JSON has code InvalidJson");
    graph_string_free(error);

    bad = (graph_client *)0x1;
    error = NULL;
    st = graph_client_new("{\"tenantId\":\"t\",\"clientId\":\"c\",\"clientSecret\":\"s\",\"tennantId\":\"x\"}",
                          &bad, &error);
    CHECK(st == GRAPH_STATUS_INVALID_ARGUMENT && bad == NULL, "unknown config key is refused");
    CHECK(has(error, "\"code\":\"InvalidConfig\"") && has(error, "tennantId"), "error names the unknown key");
    graph_string_free(error);

    /* No error pointer: the status alone. */
    bad = (graph_client *)0x1;
    st = graph_client_new("[]", &bad, NULL);
    CHECK(st == GRAPH_STATUS_INVALID_ARGUMENT && bad == NULL, "config errors without an error pointer");

    error = NULL;
    st = graph_client_new(config, NULL, &error);
    CHECK(st == GRAPH_STATUS_INVALID_ARGUMENT && has(error, "\"code\":\"NullArgument\""), "NULL client_out");
    graph_string_free(error);
}

/* Sends and their errors: refused before any request, with a stable code. */
static void send_errors(void) {
    char *result = NULL;
    graph_status st = graph_send_mail(client, "{\"to\":\"someone@fabrikam.test\"}", &result);
    CHECK(st == GRAPH_STATUS_INVALID_ARGUMENT, "missing from is GRAPH_STATUS_INVALID_ARGUMENT");
    CHECK(has(result, "\"code\":\"MissingFrom\""), "error code MissingFrom");
    graph_string_free(result);

    result = NULL;
    st = graph_send_mail(client, "{\"from\": ", &result);
    CHECK(st == GRAPH_STATUS_INVALID_ARGUMENT && has(result, "\"code\":\"InvalidJson\""), "bad message JSON");
    graph_string_free(result);

    result = NULL;
    st = graph_send_mail(client, "{\"from\":\"a@b.test\",\"to\":\"c@d.test\",\"attachments\":\"/nonexistent/x.txt\"}",
                         &result);
    CHECK(st != GRAPH_STATUS_OK && has(result, "\"code\":\"AttachmentNotFound\""), "missing attachment");
    graph_string_free(result);

    result = NULL;
    st = graph_send_mail(client, "{\"from\":\"a@b.test\",\"to\":\"c@d.test\",\"subject\":\"\xff\"}", &result);
    CHECK(st == GRAPH_STATUS_INVALID_ARGUMENT && result != NULL, "invalid UTF-8 is refused");
    graph_string_free(result);

    /* NULL arguments are errors, never crashes. */
    result = NULL;
    st = graph_send_mail(NULL, message, &result);
    CHECK(st == GRAPH_STATUS_INVALID_ARGUMENT && has(result, "\"code\":\"NullArgument\""), "NULL client");
    graph_string_free(result);
    result = NULL;
    st = graph_send_mail(client, NULL, &result);
    CHECK(st == GRAPH_STATUS_INVALID_ARGUMENT && has(result, "\"code\":\"NullArgument\""), "NULL message");
    graph_string_free(result);
    CHECK(graph_send_mail(client, message, NULL) == GRAPH_STATUS_INVALID_ARGUMENT, "NULL result pointer");
}

/* A preview sends nothing; with a NULL client it uses the Global cloud's endpoint. */
static void previews(void) {
    char *preview = NULL;
    graph_status st = graph_send_mail_preview(client, message, &preview);
    CHECK(st == GRAPH_STATUS_OK && has(preview, "\"method\":\"POST\"") && has(preview, "/sendMail\""),
          preview ? preview : "graph_send_mail_preview");
    CHECK(has(preview, "Preview from C"), "the preview holds the subject");
    graph_string_free(preview);

    preview = NULL;
    st = graph_send_mail_preview(NULL, message, &preview);
    CHECK(st == GRAPH_STATUS_OK && has(preview, "https://graph.microsoft.com/v1.0/users/"), "preview without a client");
    graph_string_free(preview);

    preview = NULL;
    st = graph_send_mail_preview(client, "{\"from\":\"not an address\",\"to\":\"c@d.test\"}", &preview);
    CHECK(st == GRAPH_STATUS_INVALID_ARGUMENT && has(preview, "\"code\":\"InvalidAddress\""), "preview of a bad address");
    graph_string_free(preview);

    CHECK(graph_send_mail_preview(client, message, NULL) == GRAPH_STATUS_INVALID_ARGUMENT, "preview: NULL out");
}

static void tokens(void) {
    char *token = NULL;
    graph_status st = graph_acquire_token(client, &token);
    CHECK(st == GRAPH_STATUS_OK && has(token, "\"accessToken\":\"") && has(token, "\"expiresOnUnix\":"),
          "graph_acquire_token");
    graph_string_free(token);

    token = NULL;
    st = graph_acquire_token(NULL, &token);
    CHECK(st == GRAPH_STATUS_INVALID_ARGUMENT && has(token, "\"code\":\"NullArgument\""), "token: NULL client");
    graph_string_free(token);
    CHECK(graph_acquire_token(client, NULL) == GRAPH_STATUS_INVALID_ARGUMENT, "token: NULL out");
}

/* Waits for an operation, following its progress; returns its status, result in *result. */
static graph_status follow(graph_send *op, char **result) {
    for (int i = 0; i < 6000; i++) {
        char *progress = NULL;
        graph_status st = graph_send_progress(op, &progress);
        CHECK(st == GRAPH_STATUS_OK && has(progress, "\"step\":\""), progress ? progress : "graph_send_progress");
        int done = has(progress, "\"done\":true");
        graph_string_free(progress);
        st = graph_send_wait(op, done ? 0 : 100, result);
        if (st != GRAPH_STATUS_PENDING) {
            return st;
        }
        CHECK(*result == NULL, "a pending wait writes no result");
        CHECK(!done, "an operation reported done is not pending");
    }
    return GRAPH_STATUS_PENDING;
}

static void background(const char *from, const char *to) {
    char bg_message[512];
    snprintf(bg_message, sizeof bg_message,
             "{\"from\":\"%s\",\"to\":\"%s\",\"subject\":\"Sent from C in the background\",\"body\":\"b\"}", from, to);

    graph_send *op = NULL;
    char *error = NULL;
    graph_status st = graph_send_mail_start(client, bg_message, &op, &error);
    CHECK(st == GRAPH_STATUS_OK && op != NULL && error == NULL, error ? error : "graph_send_mail_start");
    graph_string_free(error);
    if (op != NULL) {
        char *result = NULL;
        st = follow(op, &result);
        CHECK(st == GRAPH_STATUS_OK && has(result, "\"status\":\"sent\""), result ? result : "background send");
        graph_string_free(result);
        /* Waiting again gives the same result, in a new string. */
        result = NULL;
        st = graph_send_wait(op, 0, &result);
        CHECK(st == GRAPH_STATUS_OK && has(result, "\"status\":\"sent\""), "wait again");
        graph_string_free(result);
        CHECK(graph_send_wait(op, 0, NULL) == GRAPH_STATUS_INVALID_ARGUMENT, "wait: NULL out");
        CHECK(graph_send_progress(op, NULL) == GRAPH_STATUS_INVALID_ARGUMENT, "progress: NULL out");
        graph_send_cancel(op); /* after the end: nothing to cancel */
        graph_send_free(op);
    }

    /* Invalid input fails at the start, with no operation. */
    op = (graph_send *)0x1;
    error = NULL;
    st = graph_send_mail_start(client, "{\"from\":\"a@b.test\"}", &op, &error);
    CHECK(st == GRAPH_STATUS_INVALID_ARGUMENT && op == NULL && has(error, "\"code\":\"MissingRecipient\""),
          "start: invalid message");
    graph_string_free(error);

    /* NULL arguments. */
    error = NULL;
    st = graph_send_mail_start(NULL, bg_message, &op, &error);
    CHECK(st == GRAPH_STATUS_INVALID_ARGUMENT && has(error, "\"code\":\"NullArgument\""), "start: NULL client");
    graph_string_free(error);
    error = NULL;
    st = graph_send_mail_start(client, bg_message, NULL, &error);
    CHECK(st == GRAPH_STATUS_INVALID_ARGUMENT && has(error, "\"code\":\"NullArgument\""), "start: NULL send_out");
    graph_string_free(error);
    char *out = NULL;
    st = graph_send_progress(NULL, &out);
    CHECK(st == GRAPH_STATUS_INVALID_ARGUMENT && has(out, "\"code\":\"NullArgument\""), "progress: NULL send");
    graph_string_free(out);
    out = NULL;
    st = graph_send_wait(NULL, 0, &out);
    CHECK(st == GRAPH_STATUS_INVALID_ARGUMENT && has(out, "\"code\":\"NullArgument\""), "wait: NULL send");
    graph_string_free(out);
    graph_send_cancel(NULL);
    graph_send_free(NULL);

    /* Cancelled at once: cancelled; or already sent; or cancelled after the request went out,
     * when Graph may have accepted it (OutcomeUnknown). Either way one result. */
    snprintf(bg_message, sizeof bg_message,
             "{\"from\":\"%s\",\"to\":\"%s\",\"subject\":\"Cancelled from C\"}", from, to);
    op = NULL;
    st = graph_send_mail_start(client, bg_message, &op, NULL);
    CHECK(st == GRAPH_STATUS_OK && op != NULL, "start a send to cancel");
    if (op != NULL) {
        graph_send_cancel(op);
        char *result = NULL;
        st = follow(op, &result);
        CHECK((st == GRAPH_STATUS_CANCELLED && has(result, "\"code\":\"Cancelled\"")) ||
                  (st == GRAPH_STATUS_OK && has(result, "\"status\":\"sent\"")) ||
                  (st == GRAPH_STATUS_NETWORK && has(result, "\"code\":\"OutcomeUnknown\"")),
              result ? result : "cancelled send");
        graph_string_free(result);
        graph_send_free(op);
    }

    /* Freed while running: cancelled, its cleanup finishes in the background. */
    snprintf(bg_message, sizeof bg_message,
             "{\"from\":\"%s\",\"to\":\"%s\",\"subject\":\"Freed from C\"}", from, to);
    op = NULL;
    st = graph_send_mail_start(client, bg_message, &op, NULL);
    CHECK(st == GRAPH_STATUS_OK && op != NULL, "start a send to free");
    graph_send_free(op);

    /* Sign-in: a token for the client's credential (from its cache), never the token itself. */
    op = NULL;
    error = NULL;
    st = graph_sign_in_start(client, &op, &error);
    CHECK(st == GRAPH_STATUS_OK && op != NULL && error == NULL, "graph_sign_in_start");
    graph_string_free(error);
    if (op != NULL) {
        char *result = NULL;
        st = follow(op, &result);
        CHECK(st == GRAPH_STATUS_OK && has(result, "\"status\":\"signedIn\"") && !has(result, "accessToken"),
              result ? result : "sign-in");
        graph_string_free(result);
        graph_send_free(op);
    }
}

static void batch(const char *from, const char *to) {
    char messages[1024];
    snprintf(messages, sizeof messages,
             "[{\"from\":\"%s\",\"to\":\"%s\",\"subject\":\"Sent from C in a batch\"},"
             "{\"from\":\"%s\",\"to\":\"not an address\",\"subject\":\"Refused in a batch\"}]",
             from, to, from);
    char *results = NULL;
    graph_status st = graph_send_mail_batch(client, messages, &results);
    CHECK(st == GRAPH_STATUS_INVALID_ARGUMENT, "a batch reports its first failure");
    CHECK(has(results, "\"status\":\"sent\"") && has(results, "\"code\":\"InvalidAddress\""),
          results ? results : "batch results");
    graph_string_free(results);

    results = NULL;
    st = graph_send_mail_batch(client, "{\"not\":\"an array\"}", &results);
    CHECK(st == GRAPH_STATUS_INVALID_ARGUMENT && has(results, "\"error\""), "a batch must be an array");
    graph_string_free(results);
    CHECK(graph_send_mail_batch(client, messages, NULL) == GRAPH_STATUS_INVALID_ARGUMENT, "batch: NULL out");
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s CONFIG_JSON FROM TO ATTACHMENT_PATH\n", argv[0]);
        return 64;
    }
    const char *config = argv[1];
    const char *from = argv[2];
    const char *to = argv[3];

    /* The version the header was generated for is the version of the library. */
    CHECK(strcmp(graph_version(), GRAPHMAIL_VERSION) == 0, "graph_version() == GRAPHMAIL_VERSION");

    config_errors(config);

    char *error = NULL;
    graph_status st = graph_client_new(config, &client, &error);
    CHECK(st == GRAPH_STATUS_OK && client != NULL && error == NULL, "graph_client_new");
    if (st != GRAPH_STATUS_OK) {
        fprintf(stderr, "graph_client_new: %s\n", error ? error : "(no detail)");
        graph_string_free(error);
        return 1;
    }

    snprintf(message, sizeof message,
             "{\"from\":\"%s\",\"to\":[\"C Caller <%s>\"],\"subject\":\"Sent from C\","
             "\"body\":\"Hello from a C program.\",\"attachments\":[\"%s\"]}",
             from, to, argv[4]);
    char *result = NULL;
    st = graph_send_mail(client, message, &result);
    CHECK(st == GRAPH_STATUS_OK, result ? result : "graph_send_mail");
    CHECK(has(result, "\"status\":\"sent\""), "result says sent");
    CHECK(has(result, "\"requestId\":\""), "result has the request id");
    graph_string_free(result);

    send_errors();

    snprintf(message, sizeof message,
             "{\"from\":\"%s\",\"to\":\"%s\",\"subject\":\"Preview from C\",\"attachments\":\"%s\"}",
             from, to, argv[4]);
    previews();
    tokens();
    background(from, to);
    batch(from, to);

    /* One client, four threads at once. */
    snprintf(thread_message, sizeof thread_message,
             "{\"from\":\"%s\",\"to\":\"%s\",\"subject\":\"Sent from a C thread\"}", from, to);
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) pthread_create(&threads[i], NULL, send_from_thread, NULL);
    for (int i = 0; i < 4; i++) pthread_join(threads[i], NULL);

    graph_client_free(client);
    graph_client_free(NULL);
    graph_string_free(NULL);

    printf("c-abi: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
#endif
