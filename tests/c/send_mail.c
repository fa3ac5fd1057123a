/*
 * A C program that uses GraphMail exactly as the header documents: it is compiled against
 * include/graphmail.h, linked to the cdylib, and run by tests/c_abi.rs against the local
 * Graph emulator.
 *
 * usage: send_mail CONFIG_JSON FROM TO ATTACHMENT_PATH
 */
#include "graphmail.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

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

static graph_client *client = NULL;
static char message[2048];

static void *send_from_thread(void *arg) {
    (void)arg;
    for (int i = 0; i < 5; i++) {
        char *result = NULL;
        graph_status st = graph_send_mail(client, message, &result);
        CHECK(st == GRAPH_STATUS_OK, result ? result : "graph_send_mail from a thread");
        graph_string_free(result);
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s CONFIG_JSON FROM TO ATTACHMENT_PATH\n", argv[0]);
        return 64;
    }
    const char *config = argv[1];

    /* The version the header was generated for is the version of the library. */
    CHECK(strcmp(graph_version(), GRAPHMAIL_VERSION) == 0, "graph_version() == GRAPHMAIL_VERSION");

    /* Invalid configuration: a status, a NULL client, and error JSON with a stable code. */
    graph_client *bad = (graph_client *)0x1;
    char *error = NULL;
    graph_status st = graph_client_new("{\"tenantId\":", &bad, &error);
    CHECK(st == GRAPH_STATUS_INVALID_ARGUMENT, "invalid JSON config is GRAPH_STATUS_INVALID_ARGUMENT");
    CHECK(bad == NULL, "client_out is NULL on failure");
    CHECK(error != NULL && strstr(error, "\"code\":\"InvalidJson\"") != NULL, "error JSON has code InvalidJson");
    graph_string_free(error);

    error = NULL;
    st = graph_client_new(config, &client, &error);
    CHECK(st == GRAPH_STATUS_OK && client != NULL && error == NULL, "graph_client_new");
    if (st != GRAPH_STATUS_OK) {
        fprintf(stderr, "graph_client_new: %s\n", error ? error : "(no detail)");
        graph_string_free(error);
        return 1;
    }

    snprintf(message, sizeof message,
             "{\"from\":\"%s\",\"to\":[\"C Caller <%s>\"],\"subject\":\"Sent from C\","
             "\"body\":\"Hello from a C program.\",\"attachments\":[\"%s\"]}",
             argv[2], argv[3], argv[4]);
    char *result = NULL;
    st = graph_send_mail(client, message, &result);
    CHECK(st == GRAPH_STATUS_OK, result ? result : "graph_send_mail");
    CHECK(result != NULL && strstr(result, "\"status\":\"sent\"") != NULL, "result says sent");
    CHECK(result != NULL && strstr(result, "\"requestId\":\"") != NULL, "result has the request id");
    graph_string_free(result);

    /* Bad input: refused before any request, with a stable code. */
    result = NULL;
    st = graph_send_mail(client, "{\"to\":\"someone@fabrikam.test\"}", &result);
    CHECK(st == GRAPH_STATUS_INVALID_ARGUMENT, "missing from is GRAPH_STATUS_INVALID_ARGUMENT");
    CHECK(result != NULL && strstr(result, "\"code\":\"MissingFrom\"") != NULL, "error code MissingFrom");
    graph_string_free(result);

    /* NULL arguments are errors, never crashes. */
    result = NULL;
    st = graph_send_mail(NULL, message, &result);
    CHECK(st == GRAPH_STATUS_INVALID_ARGUMENT && result != NULL, "NULL client");
    graph_string_free(result);
    CHECK(graph_send_mail(client, message, NULL) == GRAPH_STATUS_INVALID_ARGUMENT, "NULL result pointer");

    /* A token, as JSON. */
    char *token = NULL;
    st = graph_acquire_token(client, &token);
    CHECK(st == GRAPH_STATUS_OK && token != NULL && strstr(token, "\"accessToken\":\"") != NULL,
          "graph_acquire_token");
    graph_string_free(token);

    /* One client, four threads at once. */
    pthread_t threads[4];
    for (int i = 0; i < 4; i++) pthread_create(&threads[i], NULL, send_from_thread, NULL);
    for (int i = 0; i < 4; i++) pthread_join(threads[i], NULL);

    graph_client_free(client);
    graph_client_free(NULL);
    graph_string_free(NULL);

    printf("c-abi: %d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
