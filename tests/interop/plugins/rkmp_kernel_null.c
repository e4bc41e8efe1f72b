/*
 * rkmp-kernel-null — a charon plugin for the interop suites (tests/interop):
 * an IPsec kernel interface that installs nothing.
 *
 * The suites negotiate ESP CHILD_SAs at the IKE level only (CREATE_CHILD_SA,
 * rekeys, deletes on port 500); no ESP packet is ever sent.  With the real
 * backend (kernel-netlink) charon fails a CHILD_SA whose XFRM state the
 * kernel refuses, and many kernels have XFRM but no ESP (CONFIG_INET_ESP
 * unset), so the result would depend on the machine.  This backend accepts
 * every SA and policy and keeps nothing, so CHILD_SAs always "install".
 * kernel-netlink stays loaded for the kernel-net part (addresses,
 * interfaces): list this plugin before it in charon.load, as the first
 * registered kernel-ipsec interface is the one used.
 *
 * Built by tests/interop/install-strongswan.sh against the headers of
 * Debian's strongSwan source package and given to charon with LD_PRELOAD
 * (charon finds <name>_plugin_create in the global symbols first).
 */
#include <library.h>
#include <daemon.h>
#include <plugins/plugin.h>
#include <kernel/kernel_ipsec.h>
#include <kernel/kernel_interface.h>
#include <threading/mutex.h>

typedef struct {
	kernel_ipsec_t ipsec;		/* first: charon holds this pointer */
	rng_t *rng;
	mutex_t *mutex;
} null_kernel_t;

/* SPIs in kernel-netlink's default range, from the weak RNG */
static status_t
null_get_spi(kernel_ipsec_t *ipsec, host_t *src, host_t *dst, uint8_t proto, uint32_t *spi)
{
	null_kernel_t *k = (null_kernel_t *)ipsec;
	uint32_t r;
	bool ok;

	k->mutex->lock(k->mutex);
	ok = k->rng->get_bytes(k->rng, sizeof(r), (uint8_t *)&r);
	k->mutex->unlock(k->mutex);
	if (!ok)
		return FAILED;
	*spi = htonl(KERNEL_SPI_MIN + r % (KERNEL_SPI_MAX - KERNEL_SPI_MIN + 1));
	return SUCCESS;
}

/* kernel-netlink's: without ESP_V3_TFC charon would add N(ESP_TFC_PADDING_NOT_SUPPORTED)
 * to its messages, which a charon on Linux does not send */
static kernel_feature_t
null_get_features(kernel_ipsec_t *ipsec)
{
	return KERNEL_ESP_V3_TFC | KERNEL_POLICY_SPI;
}

static status_t
null_get_cpi(kernel_ipsec_t *ipsec, host_t *src, host_t *dst, uint16_t *cpi)
{
	return NOT_SUPPORTED;	/* no IPComp */
}

static status_t
null_add_sa(kernel_ipsec_t *ipsec, kernel_ipsec_sa_id_t *id, kernel_ipsec_add_sa_t *data)
{
	DBG2(DBG_KNL, "rkmp-kernel-null: SA %.8x %H -> %H not installed (none is)",
	     ntohl(id->spi), id->src, id->dst);
	return SUCCESS;
}

static status_t
null_update_sa(kernel_ipsec_t *ipsec, kernel_ipsec_sa_id_t *id, kernel_ipsec_update_sa_t *data)
{
	return SUCCESS;
}

static status_t
null_query_sa(kernel_ipsec_t *ipsec, kernel_ipsec_sa_id_t *id, kernel_ipsec_query_sa_t *data,
    uint64_t *bytes, uint64_t *packets, time_t *time)
{
	return NOT_SUPPORTED;	/* swanctl --list-sas shows no counters */
}

static status_t
null_del_sa(kernel_ipsec_t *ipsec, kernel_ipsec_sa_id_t *id, kernel_ipsec_del_sa_t *data)
{
	return SUCCESS;
}

static status_t
null_flush(kernel_ipsec_t *ipsec)
{
	return SUCCESS;
}

static status_t
null_add_policy(kernel_ipsec_t *ipsec, kernel_ipsec_policy_id_t *id,
    kernel_ipsec_manage_policy_t *data)
{
	return SUCCESS;
}

static status_t
null_query_policy(kernel_ipsec_t *ipsec, kernel_ipsec_policy_id_t *id,
    kernel_ipsec_query_policy_t *data, time_t *use_time)
{
	return NOT_SUPPORTED;
}

static status_t
null_del_policy(kernel_ipsec_t *ipsec, kernel_ipsec_policy_id_t *id,
    kernel_ipsec_manage_policy_t *data)
{
	return SUCCESS;
}

/* charon's IKE sockets need no bypass policy when there are no policies */
static bool
null_bypass_socket(kernel_ipsec_t *ipsec, int fd, int family)
{
	return TRUE;
}

static bool
null_enable_udp_decap(kernel_ipsec_t *ipsec, int fd, int family, uint16_t port)
{
	return TRUE;
}

static void
null_destroy(kernel_ipsec_t *ipsec)
{
	null_kernel_t *k = (null_kernel_t *)ipsec;

	k->rng->destroy(k->rng);
	k->mutex->destroy(k->mutex);
	free(k);
}

/* the constructor kernel_ipsec_register() calls */
static kernel_ipsec_t *
null_kernel_create(void)
{
	null_kernel_t *k = malloc_thing(null_kernel_t);

	*k = (null_kernel_t){
		.ipsec = {
			.get_features = null_get_features,
			.get_spi = null_get_spi,
			.get_cpi = null_get_cpi,
			.add_sa = null_add_sa,
			.update_sa = null_update_sa,
			.query_sa = null_query_sa,
			.del_sa = null_del_sa,
			.flush_sas = null_flush,
			.add_policy = null_add_policy,
			.query_policy = null_query_policy,
			.del_policy = null_del_policy,
			.flush_policies = null_flush,
			.bypass_socket = null_bypass_socket,
			.enable_udp_decap = null_enable_udp_decap,
			.destroy = null_destroy,
		},
		.rng = lib->crypto->create_rng(lib->crypto, RNG_WEAK),
		.mutex = mutex_create(MUTEX_TYPE_DEFAULT),
	};
	if (k->rng == NULL) {
		k->mutex->destroy(k->mutex);
		free(k);
		return NULL;
	}
	return &k->ipsec;
}

/* ------------------------------------------------------------------ plugin */

static char *
plugin_name(plugin_t *plugin)
{
	return "rkmp-kernel-null";
}

static int
plugin_features(plugin_t *plugin, plugin_feature_t *features[])
{
	static plugin_feature_t f[] = {
		PLUGIN_CALLBACK(kernel_ipsec_register, null_kernel_create),
			PLUGIN_PROVIDE(CUSTOM, "kernel-ipsec"),
				PLUGIN_DEPENDS(RNG, RNG_WEAK),
	};

	*features = f;
	return countof(f);
}

static void
plugin_destroy(plugin_t *plugin)
{
	free(plugin);
}

plugin_t *rkmp_kernel_null_plugin_create(void);

plugin_t *
rkmp_kernel_null_plugin_create(void)
{
	plugin_t *p = malloc_thing(plugin_t);

	*p = (plugin_t){
		.get_name = plugin_name,
		.get_features = plugin_features,
		.reload = (void *)return_false,
		.destroy = plugin_destroy,
	};
	return p;
}
