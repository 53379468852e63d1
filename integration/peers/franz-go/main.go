// franz-peer is a small command-line front end to franz-go (github.com/twmb/franz-go), so that integration
// tests can drive a Go Kafka client against Tributary the way they drive kcat or kafka-python: run it, read its
// JSON output. scripts/install-peers.sh builds it into $TRIBUTARY_CACHE/bin/franz-peer.
//
//	franz-peer version
//	franz-peer metadata -brokers 127.0.0.1:9092
//	franz-peer produce  -brokers 127.0.0.1:9092 -topic t -n 10 [-auto-create]
//	franz-peer consume  -brokers 127.0.0.1:9092 -topic t -n 10
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

const franzModule = "github.com/twmb/franz-go"

func main() {
	if len(os.Args) < 2 {
		fail("usage: franz-peer <version|metadata|produce|consume> [flags]")
	}
	command, args := os.Args[1], os.Args[2:]
	switch command {
	case "version":
		printVersion()
	case "metadata":
		metadata(args)
	case "produce":
		produce(args)
	case "consume":
		consume(args)
	default:
		fail("unknown command " + command)
	}
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, "franz-peer:", message)
	os.Exit(2)
}

func emit(value any) {
	if err := json.NewEncoder(os.Stdout).Encode(value); err != nil {
		fail(err.Error())
	}
}

// printVersion reports the franz-go version this binary was built with, read from its own build information.
func printVersion() {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		fail("no build information in this binary")
	}
	for _, dep := range info.Deps {
		if dep.Path == franzModule {
			emit(map[string]string{"franzGo": dep.Version, "go": info.GoVersion})
			return
		}
	}
	fail(franzModule + " is not among this binary's dependencies")
}

type common struct {
	brokers *string
	timeout *time.Duration
}

func commonFlags(set *flag.FlagSet) common {
	return common{
		brokers: set.String("brokers", "127.0.0.1:9092", "comma-separated bootstrap brokers"),
		timeout: set.Duration("timeout", 30*time.Second, "give up after this long"),
	}
}

func (c common) client(extra ...kgo.Opt) *kgo.Client {
	options := append([]kgo.Opt{kgo.SeedBrokers(strings.Split(*c.brokers, ",")...)}, extra...)
	client, err := kgo.NewClient(options...)
	if err != nil {
		fail(err.Error())
	}
	return client
}

func metadata(args []string) {
	set := flag.NewFlagSet("metadata", flag.ExitOnError)
	flags := commonFlags(set)
	_ = set.Parse(args)
	client := flags.client()
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *flags.timeout)
	defer cancel()

	response, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, client)
	if err != nil {
		fail(err.Error())
	}
	type broker struct {
		NodeID int32  `json:"nodeId"`
		Host   string `json:"host"`
		Port   int32  `json:"port"`
	}
	type topic struct {
		Name       string `json:"name"`
		ErrorCode  int16  `json:"errorCode"`
		Partitions int    `json:"partitions"`
	}
	out := struct {
		ClusterID    *string  `json:"clusterId"`
		ControllerID int32    `json:"controllerId"`
		Brokers      []broker `json:"brokers"`
		Topics       []topic  `json:"topics"`
	}{ClusterID: response.ClusterID, ControllerID: response.ControllerID, Brokers: []broker{}, Topics: []topic{}}
	for _, b := range response.Brokers {
		out.Brokers = append(out.Brokers, broker{b.NodeID, b.Host, b.Port})
	}
	for _, t := range response.Topics {
		name := ""
		if t.Topic != nil {
			name = *t.Topic
		}
		out.Topics = append(out.Topics, topic{name, t.ErrorCode, len(t.Partitions)})
	}
	emit(out)
}

// produce sends n records with keys key-<i> and values value-<i>, waits for every acknowledgement and prints
// one JSON line per record with the partition and offset the broker assigned.
func produce(args []string) {
	set := flag.NewFlagSet("produce", flag.ExitOnError)
	flags := commonFlags(set)
	topic := set.String("topic", "", "topic to produce to")
	count := set.Int("n", 1, "number of records")
	autoCreate := set.Bool("auto-create", false, "let the broker create a missing topic (franz-go does not ask by default)")
	_ = set.Parse(args)
	if *topic == "" {
		fail("produce needs -topic")
	}
	options := []kgo.Opt{kgo.DefaultProduceTopic(*topic)}
	if *autoCreate {
		options = append(options, kgo.AllowAutoTopicCreation())
	}
	client := flags.client(options...)
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *flags.timeout)
	defer cancel()

	records := make([]*kgo.Record, *count)
	for i := range records {
		records[i] = &kgo.Record{Key: []byte(fmt.Sprintf("key-%d", i)), Value: []byte(fmt.Sprintf("value-%d", i))}
	}
	results := client.ProduceSync(ctx, records...)
	for _, result := range results {
		if result.Err != nil {
			fail(result.Err.Error())
		}
		emit(map[string]any{"partition": result.Record.Partition, "offset": result.Record.Offset})
	}
}

// consume reads n records of a topic from its start, without a consumer group, and prints each as a JSON line.
func consume(args []string) {
	set := flag.NewFlagSet("consume", flag.ExitOnError)
	flags := commonFlags(set)
	topic := set.String("topic", "", "topic to consume")
	count := set.Int("n", 1, "number of records to read before exiting")
	_ = set.Parse(args)
	if *topic == "" {
		fail("consume needs -topic")
	}
	client := flags.client(kgo.ConsumeTopics(*topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *flags.timeout)
	defer cancel()

	for seen := 0; seen < *count; {
		fetches := client.PollFetches(ctx)
		if ctx.Err() != nil {
			fail(fmt.Sprintf("read %d of %d records before the timeout", seen, *count))
		}
		for _, fetchErr := range fetches.Errors() {
			fail(fmt.Sprintf("topic %s partition %d: %v", fetchErr.Topic, fetchErr.Partition, fetchErr.Err))
		}
		fetches.EachRecord(func(record *kgo.Record) {
			if seen < *count {
				emit(map[string]any{
					"partition": record.Partition,
					"offset":    record.Offset,
					"key":       string(record.Key),
					"value":     string(record.Value),
				})
			}
			seen++
		})
	}
}
