// Loads every document of a YAML file with gopkg.in/yaml.v2, the parser drone-registry-plugin
// reads its registry file with, and prints every string scalar in it as UTF-8 hex, one per line.
package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"gopkg.in/yaml.v2"
)

func walk(node interface{}) {
	switch value := node.(type) {
	case map[interface{}]interface{}:
		for key, item := range value {
			walk(key)
			walk(item)
		}
	case []interface{}:
		for _, item := range value {
			walk(item)
		}
	case string:
		fmt.Println(hex.EncodeToString([]byte(value)))
	}
}

func main() {
	file, err := os.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	decoder := yaml.NewDecoder(file)
	for {
		var document interface{}
		err := decoder.Decode(&document)
		if err == io.EOF {
			return
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		walk(document)
	}
}
